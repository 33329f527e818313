import { fnv1a } from './fnv1a.js';
import { PositionIndex } from './position-index.js';

/**
 * A string-keyed map that keeps its entries in the order they were set and never rehashes them all
 * at once: for windows of recent keys (the supplier SDK's accepted message ids, the memory store's
 * supplier references, dedup keys and fallback plans) that run full and then forget their oldest
 * as fast as they learn new ones.
 *
 * A JavaScript Map used that way stalls: V8 keeps a deleted entry's slot until the table is
 * rebuilt, and rebuilds it, every entry in one go, each time the slots run out. At a million
 * entries that held the event loop 120-390 ms once per million sets (`npm run bench:windows`), a
 * supplier's answers and reports held with it.
 *
 *   ring:   entries in set order, in chunks of CHUNK: key (undefined once deleted), value, hash;
 *           chunks read past at the front are dropped, so nothing is ever copied
 *   head:   ring position of the oldest live entry; tail: where the next one goes
 *   index:  a PositionIndex of the entries' ring positions, by hash(key)
 *
 * The index is made for `expectedSize` entries up front. Only past that does it grow, in one go
 * (a doubling per growth); a window bounded at its expected size never gets there.
 */
export class SetOrderMap<V> {
  private keys: (string | undefined)[][] = [];
  private values: (V | undefined)[][] = [];
  private hashes: Int32Array[] = [];
  /** Ring position of keys[0][0]. */
  private firstChunkAt = 0;
  private head = 0;
  private tail = 0;
  private count = 0;
  private readonly index: PositionIndex;
  /** The last hash chunk dropped, reused for the next one. */
  private spareHashes: Int32Array | undefined;

  constructor(expectedSize = 0) {
    this.index = new PositionIndex(expectedSize, (position) => this.hashAt(position));
  }

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    const at = this.find(key, hashOf(key));
    return at < 0 ? undefined : this.valueAt(this.index.positionAt(at));
  }

  has(key: string): boolean {
    return this.find(key, hashOf(key)) >= 0;
  }

  /** Sets `key` to `value` as the newest entry, whether or not it was there before. */
  set(key: string, value: V): void {
    const hash = hashOf(key);
    const earlier = this.find(key, hash);
    if (earlier >= 0) this.kill(earlier);
    this.append(key, value, hash);
    // Keys set again leave deleted entries between live ones; once they outnumber the live ones,
    // the ring is rebuilt without them (amortised O(1) per set; a window of new keys never gets here).
    if (this.tail - this.head > 2 * this.count + CHUNK) this.compact();
  }

  delete(key: string): boolean {
    const at = this.find(key, hashOf(key));
    if (at < 0) return false;
    this.kill(at);
    return true;
  }

  /** The oldest entry's value, or undefined when empty. */
  oldestValue(): V | undefined {
    return this.count === 0 ? undefined : this.valueAt(this.head);
  }

  /** The oldest entry's key, or undefined when empty. */
  oldestKey(): string | undefined {
    return this.count === 0 ? undefined : this.keyAt(this.head);
  }

  /** Deletes the oldest entry, if any. */
  deleteOldest(): void {
    if (this.count === 0) return;
    this.kill(this.index.slotOf(this.head, this.hashAt(this.head)));
  }

  /**
   * Deletes, oldest first, up to `limit` entries that `expired` says yes to or that are beyond the
   * newest `maxEntries`; stops at the first it keeps (entries are in set order, so in age order
   * when each is set with its time).
   */
  trimOldest(limit: number, maxEntries: number, expired: (value: V) => boolean): void {
    for (let deleted = 0; deleted < limit && this.count > 0; deleted++) {
      if (this.count <= maxEntries && !expired(this.valueAt(this.head))) return;
      this.deleteOldest();
    }
  }

  /** The index slot that points at `key`'s entry, or -1. */
  private find(key: string, hash: number): number {
    for (let at = this.index.home(hash); ; at = this.index.next(at)) {
      const position = this.index.positionAt(at);
      if (position < 0) return -1;
      if (this.hashAt(position) === hash && this.keyAt(position) === key) return at;
    }
  }

  /** Empties the entry of index slot `at` and its slot, and moves the head past deleted entries. */
  private kill(at: number): void {
    const position = this.index.positionAt(at);
    const chunk = Math.floor((position - this.firstChunkAt) / CHUNK);
    const offset = position - this.firstChunkAt - chunk * CHUNK;
    this.keys[chunk]![offset] = undefined;
    this.values[chunk]![offset] = undefined;
    this.index.removeAt(at);
    this.count--;
    this.settleHead();
  }

  /** Moves the head past deleted entries to the oldest live one, dropping the chunks it leaves. */
  private settleHead(): void {
    if (this.count === 0) {
      // Empty: the ring starts afresh at the tail.
      this.spareHashes = this.hashes[0] ?? this.spareHashes;
      this.keys = [];
      this.values = [];
      this.hashes = [];
      this.head = this.firstChunkAt = this.tail;
      return;
    }
    // A live entry lies ahead, so the walk stops before the tail.
    while (this.keyAt(this.head) === undefined) {
      if (++this.head - this.firstChunkAt < CHUNK) continue;
      this.keys.shift();
      this.values.shift();
      this.spareHashes = this.hashes.shift();
      this.firstChunkAt += CHUNK;
    }
  }

  /** Adds an entry at the tail of the ring and to the index (which has room for it). */
  private append(key: string, value: V, hash: number): void {
    let last = this.keys.length - 1;
    if (last < 0 || this.keys[last]!.length === CHUNK) {
      this.keys.push([]);
      this.values.push([]);
      this.hashes.push(this.spareHashes ?? new Int32Array(CHUNK));
      this.spareHashes = undefined;
      last++;
    }
    this.hashes[last]![this.keys[last]!.length] = hash;
    this.keys[last]!.push(key);
    this.values[last]!.push(value);
    this.index.add(hash, this.tail);
    this.tail++;
    this.count++;
  }

  /** Rebuilds the ring with the live entries only, in order, and the index for them. */
  private compact(): void {
    const { keys, values, hashes } = this;
    const first = this.head - this.firstChunkAt;
    this.keys = [];
    this.values = [];
    this.hashes = [];
    this.index.clear();
    this.head = this.firstChunkAt = this.tail;
    this.count = 0;
    for (let c = 0; c < keys.length; c++) {
      for (let i = c === 0 ? first : 0; i < keys[c]!.length; i++) {
        const key = keys[c]![i];
        if (key !== undefined) this.append(key, values[c]![i] as V, hashes[c]![i]!);
      }
    }
  }

  private keyAt(position: number): string | undefined {
    const chunk = Math.floor((position - this.firstChunkAt) / CHUNK);
    return this.keys[chunk]![position - this.firstChunkAt - chunk * CHUNK];
  }

  private valueAt(position: number): V {
    const chunk = Math.floor((position - this.firstChunkAt) / CHUNK);
    return this.values[chunk]![position - this.firstChunkAt - chunk * CHUNK] as V;
  }

  private hashAt(position: number): number {
    const chunk = Math.floor((position - this.firstChunkAt) / CHUNK);
    return this.hashes[chunk]![position - this.firstChunkAt - chunk * CHUNK]!;
  }
}

/** Ring entries per chunk. */
const CHUNK = 4096;
/** FNV-1a of the key as a signed 32-bit integer (what an Int32Array holds). */
function hashOf(key: string): number {
  return fnv1a(key) | 0;
}
