import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentMap } from '../../src/channels/recent-map.js';

test('keeps the most recently set keys: a set past the capacity forgets the oldest', () => {
  const map = new RecentMap<number>(3);
  for (const [k, v] of [['a', 1], ['b', 2], ['c', 3], ['d', 4]] as const) map.set(k, v);
  assert.equal(map.size, 3);
  assert.equal(map.has('a'), false);
  assert.deepEqual(['b', 'c', 'd'].map((k) => map.get(k)), [2, 3, 4]);
});

test('setting a known key makes it the youngest; a deleted key is not forgotten twice', () => {
  const map = new RecentMap<number>(3);
  map.set('a', 1);
  map.set('b', 2);
  map.set('c', 3);
  map.set('a', 10); // a is now the youngest: b goes first
  map.set('d', 4);
  assert.deepEqual([map.has('b'), map.get('a'), map.get('c'), map.get('d')], [false, 10, 3, 4]);
  map.delete('c');
  map.set('c', 30); // re-added after a delete: its old place in the order must not evict it
  map.set('e', 5);
  assert.deepEqual([map.has('a'), map.get('c'), map.get('d'), map.get('e')], [false, 30, 4, 5]);
});

test('stays exact and bounded over many sets, re-sets and deletes', () => {
  const capacity = 1000;
  const map = new RecentMap<number>(capacity);
  const model: string[] = []; // keys, oldest first
  for (let i = 0; i < 50_000; i++) {
    const n = i % 7 === 0 ? Math.max(0, i - 500) : i;
    const key = `k${n}`;
    if (i % 11 === 0) {
      map.delete(`k${n - 3}`);
      const at = model.indexOf(`k${n - 3}`);
      if (at >= 0) model.splice(at, 1);
    }
    map.set(key, i);
    const at = model.indexOf(key);
    if (at >= 0) model.splice(at, 1);
    model.push(key);
    if (model.length > capacity) model.shift();
  }
  assert.equal(map.size, model.length);
  for (const key of model) assert.ok(map.has(key), `key ${key}`);
});

test('forgets across many chunks of its order, and a full map stays exact over many sets', () => {
  const capacity = 10_000;
  const map = new RecentMap<number>(capacity);
  for (let i = 0; i < 300_000; i++) map.set(`m-${i}`, i);
  assert.equal(map.size, capacity);
  assert.equal(map.has(`m-${300_000 - capacity - 1}`), false);
  for (let i = 300_000 - capacity; i < 300_000; i++) assert.equal(map.get(`m-${i}`), i);
});
