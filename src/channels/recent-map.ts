import { SetOrderMap } from '../domain/set-order-map.js';

/**
 * A map of the `capacity` most recently set keys: setting a key (new or not) makes it the
 * youngest, and a set past the capacity forgets the oldest, in O(1).
 *
 * Kept in a SetOrderMap, not a JavaScript Map: a full Map that forgets its oldest as fast as it
 * learns new keys is rebuilt by V8, every entry in one go, each time its deleted slots run out;
 * at a million keys (the supplier SDK's accepted message ids) that held the event loop 120-390 ms
 * once per million sets (bench/README.md, session 13).
 */
export class RecentMap<V> {
  private readonly entries: SetOrderMap<V>;

  constructor(private readonly capacity: number) {
    // Made for its capacity up front: a window that runs full never grows its index in one go.
    this.entries = new SetOrderMap(capacity);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  set(key: string, value: V): void {
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) this.entries.deleteOldest();
  }
}
