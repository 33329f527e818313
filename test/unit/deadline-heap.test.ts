import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeadlineHeap } from '../../src/store/deadline-heap.js';

test('takes due keys earliest first, at most maxCount, and leaves the rest', () => {
  const heap = new DeadlineHeap();
  for (const [key, due] of [['c', 30], ['a', 10], ['e', 50], ['b', 20], ['d', 40]] as const) heap.add(key, due);
  assert.deepEqual(heap.takeDue(5, 10), []);
  assert.deepEqual(heap.takeDue(35, 2), [{ key: 'a', dueMs: 10 }, { key: 'b', dueMs: 20 }]);
  assert.deepEqual(heap.takeDue(35, 10), [{ key: 'c', dueMs: 30 }]);
  assert.equal(heap.size, 2);
  assert.deepEqual(heap.takeDue(1_000, 10).map((d) => d.key), ['d', 'e']);
  assert.equal(heap.size, 0);
});

test('a removed key is never taken; a re-added key is taken once, at its new time', () => {
  const heap = new DeadlineHeap();
  heap.add('gone', 10);
  heap.add('moved', 10);
  heap.add('kept', 15);
  assert.equal(heap.remove('gone'), true);
  assert.equal(heap.remove('gone'), false);
  heap.add('moved', 100);
  assert.deepEqual(heap.takeDue(50, 10), [{ key: 'kept', dueMs: 15 }]);
  assert.deepEqual(heap.takeDue(100, 10), [{ key: 'moved', dueMs: 100 }]);
  assert.deepEqual(heap.takeDue(1_000, 10), []);
});

test('many removed keys do not pile up in the heap', () => {
  const heap = new DeadlineHeap();
  for (let i = 0; i < 10_000; i++) heap.add(`k${i}`, 1_000 + i);
  for (let i = 0; i < 9_990; i++) heap.remove(`k${i}`);
  heap.takeDue(0, 10); // nothing due; compacts
  assert.equal(heap.size, 10);
  assert.deepEqual(heap.takeDue(Number.MAX_SAFE_INTEGER, 100).map((d) => d.key), Array.from({ length: 10 }, (_, i) => `k${9_990 + i}`));
});
