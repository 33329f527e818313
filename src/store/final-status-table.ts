/**
 * The memory store's final status records, oldest first, found by message id. A record is one
 * string that starts with its message id and a '\n' (see packStatus), so the table keeps no key
 * strings of its own. Up to maxStatusRecords (1,000,000 by default) records live here, and a
 * JavaScript Map of that size costs about 56 bytes an entry (its table doubles to 2^21 slots
 * under insert-and-delete churn, and briefly twice that while it rehashes), on top of a key
 * string per entry; this table costs about 16.
 *
 *   ring:  [ record, record, ... ]   a circular buffer; head is the oldest; capacity a power of 2
 *   index: Int32Array, twice the ring's capacity: 0 = empty, p + 1 = the record at ring[p];
 *          open addressing, linear probing from hash(message id), deletion by backward shift
 *
 * Records are added at the tail, replaced in place (a late report) and dropped from the head.
 * When the ring is full it doubles and the index is rebuilt (a one-off pause of some tens of
 * milliseconds at a million records; the table never shrinks). Message ids must not hold '\n'.
 */
export class FinalStatusTable {
  private ring: (string | undefined)[] = new Array<string | undefined>(INITIAL_CAPACITY);
  private index = new Int32Array(2 * INITIAL_CAPACITY);
  private head = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The record of message `messageId`, or undefined. */
  get(messageId: string): string | undefined {
    const at = this.find(messageId);
    return at < 0 ? undefined : this.ring[this.index[at]! - 1];
  }

  /** Adds the record of a message that has none here, as the newest. */
  add(messageId: string, record: string): void {
    if (this.count === this.ring.length) this.grow();
    const position = (this.head + this.count) & (this.ring.length - 1);
    this.ring[position] = record;
    this.count++;
    this.insert(hashOf(messageId, messageId.length), position);
  }

  /** Replaces the record of message `messageId` (which has one here), keeping its place in age; returns the old one. */
  replace(messageId: string, record: string): string {
    const position = this.index[this.find(messageId)]! - 1;
    const old = this.ring[position]!;
    this.ring[position] = record;
    return old;
  }

  /** The oldest record, or undefined when empty. */
  oldest(): string | undefined {
    return this.count === 0 ? undefined : this.ring[this.head];
  }

  /** Drops the oldest record (there is one). */
  dropOldest(): void {
    const record = this.ring[this.head]!;
    const mask = this.index.length - 1;
    let at = hashOf(record, record.indexOf('\n')) & mask;
    while (this.index[at] !== this.head + 1) at = (at + 1) & mask;
    this.removeAt(at);
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.count--;
  }

  /** The index slot that points at `messageId`'s record, or -1. */
  private find(messageId: string): number {
    const mask = this.index.length - 1;
    for (let at = hashOf(messageId, messageId.length) & mask; ; at = (at + 1) & mask) {
      const entry = this.index[at]!;
      if (entry === 0) return -1;
      const record = this.ring[entry - 1]!;
      if (record.length > messageId.length && record.charCodeAt(messageId.length) === NEWLINE && record.startsWith(messageId)) return at;
    }
  }

  private insert(hash: number, position: number): void {
    const mask = this.index.length - 1;
    let at = hash & mask;
    while (this.index[at] !== 0) at = (at + 1) & mask;
    this.index[at] = position + 1;
  }

  /** Empties slot `at`, moving later entries of its probe run back so every entry stays reachable from its home slot. */
  private removeAt(at: number): void {
    const mask = this.index.length - 1;
    let hole = at;
    for (let next = (at + 1) & mask; this.index[next] !== 0; next = (next + 1) & mask) {
      const record = this.ring[this.index[next]! - 1]!;
      const home = hashOf(record, record.indexOf('\n')) & mask;
      // Movable when the hole lies on the way from its home slot to where it is now.
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        this.index[hole] = this.index[next]!;
        hole = next;
      }
    }
    this.index[hole] = 0;
  }

  /** Doubles the ring, oldest record first at 0, and rebuilds the index for the new positions. */
  private grow(): void {
    const old = this.ring;
    const ring = new Array<string | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) ring[i] = old[(this.head + i) & (old.length - 1)];
    this.ring = ring;
    this.head = 0;
    this.index = new Int32Array(2 * ring.length);
    for (let position = 0; position < this.count; position++) {
      const record = ring[position]!;
      this.insert(hashOf(record, record.indexOf('\n')), position);
    }
  }
}

const INITIAL_CAPACITY = 1024;
const NEWLINE = 10;

/** FNV-1a over the first `length` UTF-16 code units of `text`. */
function hashOf(text: string, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
