import assert from 'node:assert/strict';
import { test } from 'node:test';
import { charCodeOf } from '../../src/domain/char-code.js';
import { fnv1a } from '../../src/domain/fnv1a.js';
import { RedisKeys } from '../../src/store/redis-keys.js';

// Redis shards are chosen with this hash, and every node of a cluster must choose alike, across
// versions too (a rolling upgrade runs old and new nodes side by side): the values are pinned.
test('fnv1a gives the 32-bit FNV-1a of the UTF-16 code units, the values every version has given', () => {
  assert.equal(fnv1a(''), 0x811c9dc5);
  assert.equal(fnv1a('a'), 0xe40c292c); // the published test vectors
  assert.equal(fnv1a('foobar'), 0xbf9cf968);
  assert.equal(fnv1a('m1a2b3c4d5e6f-0'), 3142958567);
  assert.equal(fnv1a('카드승인 김철수'), 3057443220);
  assert.equal(fnv1a('bank-a\u0000ref-42'), 1094814809);
  assert.equal(fnv1a('foobar-and-more', 6), fnv1a('foobar')); // a prefix, as the packed table hashes it
});

test('the Redis store picks the shards it picked before the hash was shared', () => {
  const keys = new RedisKeys('sb', 16);
  assert.deepEqual(['m1a2b3c4d5e6f-0', 'm1a2b3c4d5e6f-zz9', '카드승인-1', ''].map((id) => keys.shardFor('t', '', id)), [7, 12, 6, 5]);
  assert.equal(keys.shardFor('bank-a', 'ref-42', 'x'), 9);
});

test('charCodeOf reads every kind of string V8 makes: flat, cons, sliced, two-byte, and one used as a key', () => {
  const prefix = 'm' + 'abcdef012345';
  const cons = `${prefix}-${(12345).toString(36)}`;
  const sliced = `${'x'.repeat(40)}sb-1-abcdefghij`.slice(40);
  const keyed = `${prefix}:${7}`;
  const holder: Record<string, number> = {};
  holder[keyed] = 1;
  for (const text of [cons, sliced, keyed, '[카드승인] 김철수님', 'flat']) {
    for (let i = 0; i < text.length; i++) assert.equal(charCodeOf(text, i), text.charCodeAt(i));
    assert.ok(Number.isNaN(charCodeOf(text, text.length)));
  }
});
