import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from '../../src/channels/token-bucket.js';
import { createFakeClock } from '../helpers/fake-clock.js';

test('grants the longest prefix that fits, then refills at tps units a second', () => {
  const clock = createFakeClock(1_000_000);
  const bucket = new TokenBucket(10, 0, clock.now);
  assert.deepEqual(bucket.take([3, 3, 3, 3], false), { granted: 3, waitMs: 0 }, '9 of 10 tokens taken, the fourth does not fit');
  const denied = bucket.take([3], false);
  assert.equal(denied.granted, 0);
  assert.equal(denied.waitMs, 200, '2 more tokens at 10/s');
  clock.set(1_000_200);
  assert.equal(bucket.take([3], false).granted, 1);
  clock.set(1_010_000);
  assert.equal(bucket.take(Array(20).fill(1), false).granted, 10, 'never more than one second of tokens');
});

test('non-urgent messages leave the urgent reserve; urgent ones may take it', () => {
  const clock = createFakeClock(0);
  const bucket = new TokenBucket(10, 0.2, clock.now);
  assert.equal(bucket.take(Array(10).fill(1), false).granted, 8, 'bulk stops at the reserve of 2');
  assert.equal(bucket.take([1], false).granted, 0);
  assert.equal(bucket.take([1, 1, 1], true).granted, 2, 'urgent takes the reserve');
});

test('a message worth more than the bucket holds goes once the bucket is full instead of never', () => {
  const clock = createFakeClock(0);
  const bucket = new TokenBucket(2, 0, clock.now);
  assert.equal(bucket.take([5], false).granted, 1);
  assert.equal(bucket.take([1], false).granted, 0, 'the debt is paid off before anything else goes');
  clock.set(2_000);
  assert.equal(bucket.take([1], false).granted, 1);
});
