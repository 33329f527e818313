/**
 * A Map of the `capacity` most recently set keys: setting a key (new or not) makes it the
 * youngest, and a set past the capacity forgets the oldest, in O(1).
 *
 * Not a plain Map trimmed with `map.delete(map.keys().next().value)`: V8 keeps a deleted entry's
 * slot in the table until the table is rebuilt, and every keys().next() walks past those slots
 * from the start, so a full Map used that way slows down as it goes (30-190 µs per insert at
 * 1,000,000 entries, measured; the simulated supplier of the 2,000,000-message bench stalled on it).
 */
export class RecentMap<K, V> {
  private readonly entries = new Map<K, { value: V; seq: number }>();
  /** Keys in the order they were set, with the set's sequence number; a stale pair is skipped. */
  private orderKeys: K[] = [];
  private orderSeqs: number[] = [];
  private head = 0;
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
    this.orderKeys.push(key);
    this.orderSeqs.push(seq);
    while (this.entries.size > this.capacity) this.forgetOldest();
    // Forgotten pairs stay at the front, and re-set or deleted keys leave stale pairs behind:
    // rebuild the list once either is as long as what is live (amortised O(1) per set).
    const pairs = this.orderKeys.length - this.head;
    if (this.head > 1024 + pairs || pairs > 2 * this.entries.size + 64) this.compact();
  }

  private forgetOldest(): void {
    while (this.head < this.orderKeys.length) {
      const key = this.orderKeys[this.head] as K;
      const seq = this.orderSeqs[this.head] as number;
      this.head++;
      if (this.entries.get(key)?.seq === seq) {
        this.entries.delete(key);
        return;
      }
    }
  }

  private compact(): void {
    const keys: K[] = [];
    const seqs: number[] = [];
    for (let i = this.head; i < this.orderKeys.length; i++) {
      const key = this.orderKeys[i] as K;
      const seq = this.orderSeqs[i] as number;
      if (this.entries.get(key)?.seq === seq) {
        keys.push(key);
        seqs.push(seq);
      }
    }
    this.orderKeys = keys;
    this.orderSeqs = seqs;
    this.head = 0;
  }
}
