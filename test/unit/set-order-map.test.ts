import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SetOrderMap } from '../../src/domain/set-order-map.js';

/** The same operations on a plain array of [key, value] pairs, oldest first. */
class Model {
  entries: [string, number][] = [];
  set(key: string, value: number): void {
    this.delete(key);
    this.entries.push([key, value]);
  }
  delete(key: string): boolean {
    const at = this.entries.findIndex(([k]) => k === key);
    if (at >= 0) this.entries.splice(at, 1);
    return at >= 0;
  }
}

function assertSame(map: SetOrderMap<number>, model: Model, probes: readonly string[]): void {
  assert.equal(map.size, model.entries.length);
  assert.equal(map.oldestKey(), model.entries[0]?.[0]);
  assert.equal(map.oldestValue(), model.entries[0]?.[1]);
  for (const key of probes) assert.equal(map.get(key), model.entries.find(([k]) => k === key)?.[1], `get(${key})`);
}

test('keeps entries in set order: a key set again becomes the newest; delete and deleteOldest forget', () => {
  const map = new SetOrderMap<number>();
  map.set('a', 1);
  map.set('b', 2);
  map.set('c', 3);
  map.set('a', 10);
  assert.equal(map.oldestKey(), 'b');
  assert.deepEqual([map.get('a'), map.get('b'), map.get('c'), map.get('d')], [10, 2, 3, undefined]);
  assert.equal(map.delete('b'), true);
  assert.equal(map.delete('b'), false);
  assert.equal(map.oldestKey(), 'c');
  map.deleteOldest();
  assert.deepEqual([map.size, map.oldestKey(), map.oldestValue(), map.has('c'), map.has('a')], [1, 'a', 10, false, true]);
  map.deleteOldest();
  assert.deepEqual([map.size, map.oldestKey(), map.oldestValue()], [0, undefined, undefined]);
  map.deleteOldest(); // empty: nothing to do
  map.set('e', 5); // the ring starts again after running empty
  assert.deepEqual([map.size, map.oldestKey(), map.get('e')], [1, 'e', 5]);
});

test('matches a plain model over many sets, re-sets, deletes and forgets, across chunks, growth and rebuilds', () => {
  // Made for 16 entries: the index grows past that, the ring runs over many chunks of 4,096, keys
  // set again pile up deleted entries until the ring is rebuilt, and the window empties at times.
  const map = new SetOrderMap<number>(16);
  const model = new Model();
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 60_000; i++) {
    const op = random(100);
    const key = `k${random(i < 30_000 ? 3_000 : 20_000)}`;
    if (op < 60) {
      map.set(key, i);
      model.set(key, i);
    } else if (op < 75) {
      assert.equal(map.delete(key), model.delete(key), `delete(${key}) at ${i}`);
    } else if (op < 90) {
      map.deleteOldest();
      model.entries.shift();
    } else if (op < 91) {
      while (map.size > 0) map.deleteOldest();
      model.entries = [];
    }
    if (i % 997 === 0) assertSame(map, model, [key, `k${random(3_000)}`, 'absent']);
  }
  assertSame(map, model, model.entries.map(([k]) => k));
  // Oldest first, to the end.
  for (const [key, value] of model.entries) {
    assert.deepEqual([map.oldestKey(), map.oldestValue()], [key, value]);
    map.deleteOldest();
  }
  assert.equal(map.size, 0);
});

test('a key set again over and over keeps the ring bounded by the live entries', () => {
  const map = new SetOrderMap<number>();
  map.set('first', 0); // never set again: the oldest throughout
  for (let i = 0; i < 200_000; i++) map.set(`hot-${i % 10}`, i);
  assert.equal(map.size, 11);
  assert.equal(map.oldestKey(), 'first');
  for (let k = 0; k < 10; k++) assert.equal(map.get(`hot-${k}`), 199_990 + k);
  const ring = map as unknown as { head: number; tail: number };
  assert.ok(ring.tail - ring.head <= 2 * 11 + 4096, `the ring spans ${ring.tail - ring.head} entries for 11 live ones`);
});

test('trimOldest forgets expired entries oldest first, at most `limit` a call, and the oldest past maxEntries', () => {
  const map = new SetOrderMap<number>();
  for (let i = 0; i < 10; i++) map.set(`k-${i}`, i * 100); // k-i set at i*100 ms
  const expiredAt = (nowMs: number) => (atMs: number) => nowMs - atMs >= 1000;
  map.trimOldest(2, 100, expiredAt(1350)); // k-0..k-3 are 1,000 ms old or more
  assert.deepEqual([map.size, map.oldestKey()], [8, 'k-2']);
  map.trimOldest(10, 100, expiredAt(1350));
  assert.deepEqual([map.size, map.oldestKey()], [6, 'k-4'], 'k-4 is kept: 950 ms old');
  map.trimOldest(10, 4, expiredAt(1350)); // none expired, but only 4 may stay
  assert.deepEqual([map.size, map.oldestKey()], [4, 'k-6']);
  map.trimOldest(1, 0, () => false);
  assert.deepEqual([map.size, map.oldestKey()], [3, 'k-7'], 'one a call');
});

test('keys of any characters, and keys that collide in the index, stay apart', () => {
  const map = new SetOrderMap<string>(4);
  const keys = ['', '\n', 'a\tb', '김철수', '\u{1F600}', 'x'.repeat(10_000), ...Array.from({ length: 3_000 }, (_, i) => `c${i}`)];
  for (const key of keys) map.set(key, `v:${key}`);
  for (const key of keys) assert.equal(map.get(key), `v:${key}`);
  assert.equal(map.size, keys.length);
});
