import assert from 'node:assert/strict';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import { eucKrByteLength } from '../../../src/router/korean/euc-kr-byte-length.js';

test('ASCII counts 1 byte a character, Hangul 2', () => {
  assert.equal(eucKrByteLength(''), 0);
  assert.equal(eucKrByteLength('hello'), 5);
  assert.equal(eucKrByteLength('안녕하세요'), 10);
  assert.equal(eucKrByteLength('[스위치은행] 인증번호 123456'), 28);
  assert.equal(eucKrByteLength('줄\r\n바꿈'), 8);
});

test('double-byte symbols and CP949 extension syllables count 2', () => {
  assert.equal(eucKrByteLength('€①※'), 6);
  assert.equal(eucKrByteLength('갂뷁'), 4);
  assert.equal(eucKrByteLength('\u3000'), 2); // ideographic space
});

test('an unencodable character counts as the single "?" iconv-lite would send', () => {
  assert.equal(eucKrByteLength('😀'), 1); // one code point, two UTF-16 units, one '?'
  assert.equal(eucKrByteLength('a\u00a0b'), 3);
  assert.equal(eucKrByteLength('\ud800'), 1); // lone high surrogate
  assert.equal(eucKrByteLength('\udc00x'), 2); // lone low surrogate
  assert.equal(eucKrByteLength('\ud83d'), 1); // high surrogate at the very end
  assert.equal(eucKrByteLength('한\u1100\u1161'), 4); // conjoining jamo: one '?' each
});

test('the count equals the length of what iconv-lite encodes, for mixed text', () => {
  const pool = ['a', 'Z', ' ', '\n', '가', '힣', '갂', '뷁', '€', '①', '韓', '😀', '\u00a0', '\u200d', '\u202e', '\ud800', '\u1100', 'é', '♥'];
  pool.push('\ufe0f', '\udc00'); // a variation selector, a lone low surrogate
  // A fixed linear congruential generator: the same strings every run.
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
  for (let run = 0; run < 500; run++) {
    let text = '';
    const length = next() % 60;
    for (let i = 0; i < length; i++) text += pool[next() % pool.length];
    assert.equal(eucKrByteLength(text), iconv.encode(text, 'euc-kr').length, JSON.stringify(text));
  }
});
