import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OldestFirstTrim } from '../../src/store/oldest-first-trim.js';

const WINDOW = 1000;

function mapOf(count: number, atMsOf: (i: number) => number): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < count; i++) map.set(`k-${i}`, atMsOf(i));
  return map;
}

test('forgets expired entries oldest first, at most `limit` a call, and stops at the first one it keeps', () => {
  const map = mapOf(10, (i) => i * 100); // k-i set at i*100 ms
  const trim = new OldestFirstTrim(map, (atMs) => atMs);
  trim.trim(1350, WINDOW, 100, 2); // k-0..k-3 are 1,000 ms old or more
  assert.deepEqual([...map.keys()].slice(0, 2), ['k-2', 'k-3']);
  trim.trim(1350, WINDOW, 100, 10);
  assert.deepEqual([...map.keys()][0], 'k-4', 'k-4 is kept: 950 ms old');
  assert.equal(map.size, 6);
  trim.trim(1350, WINDOW, 100, 10); // nothing more expired: the held k-4 stops it at once
  assert.equal(map.size, 6);
});

test('forgets the oldest past maxEntries even when they are fresh', () => {
  const map = mapOf(10, () => 0);
  const trim = new OldestFirstTrim(map, (atMs) => atMs);
  trim.trim(0, WINDOW, 7, 100);
  assert.deepEqual([...map.keys()], ['k-3', 'k-4', 'k-5', 'k-6', 'k-7', 'k-8', 'k-9']);
});

test('resumes across calls: sees entries set later, skips a held entry deleted or set again since', () => {
  const map = mapOf(3, (i) => i * 10);
  const trim = new OldestFirstTrim(map, (atMs) => atMs);
  trim.trim(5, WINDOW, 2, 10); // k-0 over the count; k-1 held
  assert.deepEqual([...map.keys()], ['k-1', 'k-2']);
  map.delete('k-1'); // gone while held
  map.set('k-3', 30);
  map.set('k-4', 40);
  trim.trim(50, WINDOW, 2, 10); // 3 entries: the oldest left, k-2, goes
  assert.deepEqual([...map.keys()], ['k-3', 'k-4']);
  trim.trim(2000, WINDOW, 2, 10); // all expired; the walk reaches the end
  assert.equal(map.size, 0);
  map.set('k-5', 2000);
  map.set('k-6', 2000);
  map.set('k-7', 2000);
  trim.trim(2000, WINDOW, 2, 10); // a new walk from the front after the end was reached
  assert.deepEqual([...map.keys()], ['k-6', 'k-7']);
});
