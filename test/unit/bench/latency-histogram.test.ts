import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketUpperBound, LatencyHistogram } from '../../../src/loadgen/latency-histogram.js';

/** A seeded PRNG so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exactPercentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

test('every percentile is within 1/128 of the exact value over six orders of magnitude', () => {
  const next = random(42);
  const histogram = new LatencyHistogram();
  const values: number[] = [];
  for (let i = 0; i < 200_000; i++) {
    // Log-uniform between 1 µs and 10 s, like latencies with a long tail.
    const us = Math.round(10 ** (next() * 7));
    values.push(us);
    histogram.recordUs(us);
  }
  values.sort((a, b) => a - b);
  for (const p of [1, 10, 50, 90, 99, 99.9, 99.99]) {
    const exact = exactPercentile(values, p);
    const reported = histogram.percentileUs(p);
    assert.ok(reported >= exact, `p${p}: ${reported} below the exact ${exact}`);
    assert.ok(reported - exact <= exact / 128 + 1, `p${p}: ${reported} is more than 1/128 above the exact ${exact}`);
  }
  assert.equal(histogram.percentileUs(100), values[values.length - 1]);
  assert.equal(histogram.count, 200_000);
});

test('values below 256 µs are counted exactly', () => {
  const histogram = new LatencyHistogram();
  for (let us = 0; us < 256; us++) histogram.recordUs(us);
  assert.equal(histogram.percentileUs(50), 127);
  assert.equal(histogram.percentileUs(100), 255);
  assert.equal(bucketUpperBound(200), 200);
});

test('the summary reports milliseconds, weighted counts and the exact max', () => {
  const histogram = new LatencyHistogram();
  histogram.recordMs(1, 99); // a frame of 99 messages answered in 1 ms
  histogram.recordMs(250.5); // one slow one
  const summary = histogram.summary();
  assert.equal(summary.count, 100);
  assert.ok(Math.abs(summary.p50 - 1) <= 1 / 128);
  assert.ok(Math.abs(summary.p99 - 1) <= 1 / 128);
  assert.equal(summary.max, 250.5);
  assert.ok(Math.abs(summary.p999 - 250.5) <= 250.5 / 128);
});

test('an empty histogram reports zeros, and negative values count as 0', () => {
  const histogram = new LatencyHistogram();
  assert.deepEqual(histogram.summary(), { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 });
  histogram.recordMs(-3);
  assert.equal(histogram.percentileUs(99), 0);
});

test('merging and the JSON round trip keep every count', () => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) a.recordUs(i * 10);
  for (let i = 1; i <= 1000; i++) b.recordUs(i * 1000);
  a.add(b);
  const copy = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  assert.equal(copy.count, 2000);
  assert.equal(copy.percentileUs(50), a.percentileUs(50));
  assert.equal(copy.percentileUs(99.9), a.percentileUs(99.9));
  assert.equal(copy.maxMs(), 1000);
  // The lower half is a's 10..10,000 µs, the upper half b's 1..1,000 ms.
  assert.ok(copy.percentileUs(50) <= 10_000 * (1 + 1 / 128));
  assert.ok(copy.percentileUs(75) >= 490_000 && copy.percentileUs(75) <= 510_000 * (1 + 1 / 128));
});
