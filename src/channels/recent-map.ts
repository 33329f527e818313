/**
 * A Map of the `capacity` most recently set keys: setting a key (new or not) makes it the
 * youngest, and a set past the capacity forgets the oldest, in O(1).
 *
 * Not a plain Map trimmed with `map.delete(map.keys().next().value)`: V8 keeps a deleted entry's
 * slot in the table until the table is rebuilt, and every keys().next() walks past those slots
 * from the start, so a full Map used that way slows down as it goes (30-190 µs per insert at
 * 1,000,000 entries, measured; the simulated supplier of the 2,000,000-message bench stalled on it).
 *
 * The order of sets is kept in fixed-size chunks, and forgetting the oldest drops whole chunks
 * from the front: nothing is ever copied. (One array cut or rebuilt once the forgotten front
 * outgrew the rest held the event loop 40-450 ms every million sets at a million keys, the
 * supplier SDK's accepted ids.)
 */
export class RecentMap<K, V> {
  private readonly entries = new Map<K, { value: V; seq: number }>();
  /** Keys in the order they were set, with the set's sequence number; a stale pair is skipped. */
  private readonly order = new OrderQueue<K>();
  private nextSeq = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  set(key: K, value: V): void {
    const seq = this.nextSeq++;
    const entry = this.entries.get(key);
    if (entry === undefined) this.entries.set(key, { value, seq });
    else {
      entry.value = value;
      entry.seq = seq;
    }
    this.order.push(key, seq);
    while (this.entries.size > this.capacity) this.forgetOldest();
    // Re-set or deleted keys leave stale pairs behind: once they outnumber the live keys, rebuild
    // the order without them (amortised O(1) per set; only maps that re-set or delete get there).
    if (this.order.length > 2 * this.entries.size + 64) this.order.keepOnly((key, seq) => this.entries.get(key)?.seq === seq);
  }

  private forgetOldest(): void {
    while (this.order.length > 0) {
      const key = this.order.firstKey();
      const seq = this.order.firstSeq();
      this.order.shift();
      if (this.entries.get(key)?.seq === seq) {
        this.entries.delete(key);
        return;
      }
    }
  }
}

const CHUNK = 4096;

/** (key, seq) pairs in the order pushed, in chunks of CHUNK: shift() drops a chunk once it is read past. */
class OrderQueue<K> {
  private keys: K[][] = [[]];
  private seqs: number[][] = [[]];
  /** Position of the first pair in the first chunk. */
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(key: K, seq: number): void {
    let last = this.keys.length - 1;
    if (this.keys[last]!.length === CHUNK) {
      this.keys.push([]);
      this.seqs.push([]);
      last++;
    }
    this.keys[last]!.push(key);
    this.seqs[last]!.push(seq);
    this.count++;
  }

  /** The first pair's key and seq (the queue is not empty). */
  firstKey(): K {
    return this.keys[0]![this.head]!;
  }

  firstSeq(): number {
    return this.seqs[0]![this.head]!;
  }

  shift(): void {
    this.count--;
    if (++this.head < CHUNK) return;
    // A whole chunk read past: drop it (the list of chunks is short: a million pairs are 245 chunks).
    this.head = 0;
    if (this.keys.length > 1) {
      this.keys.shift();
      this.seqs.shift();
    } else {
      this.keys = [[]];
      this.seqs = [[]];
    }
  }

  /** Keeps the pairs `live` says yes to, in order. */
  keepOnly(live: (key: K, seq: number) => boolean): void {
    const kept = new OrderQueue<K>();
    for (let c = 0; c < this.keys.length; c++) {
      const keys = this.keys[c]!;
      const seqs = this.seqs[c]!;
      for (let i = c === 0 ? this.head : 0; i < keys.length; i++) if (live(keys[i]!, seqs[i]!)) kept.push(keys[i]!, seqs[i]!);
    }
    this.keys = kept.keys;
    this.seqs = kept.seqs;
    this.head = 0;
    this.count = kept.count;
  }
}
