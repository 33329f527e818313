import { charCodeOf } from '../domain/char-code.js';
import { FNV_OFFSET, FNV_PRIME, fnv1a } from '../domain/fnv1a.js';
import { PositionIndex } from '../domain/position-index.js';

/**
 * The memory store's packed status records (final ones, and those of messages waiting long on
 * their way), oldest first, found by message id, kept outside the JavaScript heap. A record is
 * one string that starts with its message id and a '\n' (see packStatus). Up to maxStatusRecords
 * (1,000,000 by default) records live here for a day, while the heap around them churns through
 * the messages on their way: as a million small strings in the heap they ended up spread over
 * pages shared with that churn, which V8 does not compact, and the heap grew to about twice its
 * live data. In byte chunks they cost their bytes (about 80 with the index) and no GC work.
 *
 *   log:    chunk, chunk, ...  (CHUNK_BYTES each; dropped from the front once read past, and
 *           reused as the next one)
 *           a record: u32 header (byte length << 2 | DEAD | UTF16) then its text, latin1 when
 *           every character fits a byte, else UTF-16; never split across chunks; END_OF_CHUNK
 *           (or under 4 bytes left) ends a chunk
 *   head:   log position of the oldest record; tail: where the next one goes
 *   index:  a PositionIndex of the records' log positions, by hash(message id)
 *
 * The index is made for the records the table is expected to hold (the store's maxStatusRecords;
 * see PositionIndex for the cap): growing it rehashes every record in one go, which stalled the event
 * loop 17-143 ms between 66k and 524k records (measured; every node went through it after a
 * restart). Made at its full size the index costs nothing more in the end (16 MB at a million
 * records); its pages are taken from the system as records land in them. Past that it still grows.
 *
 * A log position counts bytes since the table was made (2^53 of them: a century at full rate).
 * A record put again for the same message (a late report) goes to the tail and the old copy is
 * marked DEAD, so it keeps its age from its last change. Message ids with a '\n', and records
 * longer than a chunk, are not kept (put says so); the store keeps those records itself.
 */
export class PackedStatusTable {
  private readonly chunks: Buffer[] = [];
  /** Log position of chunks[0]. */
  private firstChunkAt = 0;
  private head = 0;
  private tail = 0;
  private count = 0;
  private readonly index: PositionIndex;
  /** The last chunk dropped, reused for the next one: the log moves through memory without allocating. */
  private spare: Buffer | undefined;

  constructor(expectedRecords = 0) {
    this.index = new PositionIndex(expectedRecords, (position) => this.hashAt(position));
  }

  get size(): number {
    return this.count;
  }

  /** The record of message `messageId`, or undefined. */
  get(messageId: string): string | undefined {
    const at = this.find(messageId);
    return at < 0 ? undefined : this.textAt(this.index.positionAt(at));
  }

  /**
   * Keeps `record` (which starts with `${messageId}\n`) as the message's newest record, replacing
   * any earlier one. False when it cannot be kept here: then the table holds none for the message.
   */
  put(messageId: string, record: string): boolean {
    const earlier = this.find(messageId);
    if (earlier >= 0) this.kill(earlier);
    return this.add(messageId, record);
  }

  /** As put, for a message that has no record here (a message that just became final): no look-up first. */
  add(messageId: string, record: string): boolean {
    const utf16 = NOT_LATIN1.test(record);
    const bytes = utf16 ? record.length * 2 : record.length;
    if (messageId.includes('\n') || HEADER_BYTES + bytes > CHUNK_BYTES) return false;
    if (this.chunks.length === 0 || this.tailOffset() + HEADER_BYTES + bytes > CHUNK_BYTES) this.startChunk();
    const offset = this.tailOffset();
    const chunk = this.chunks[this.chunks.length - 1]!;
    chunk.writeUInt32LE(bytes * 4 + (utf16 ? UTF16 : 0), offset);
    chunk.write(record, offset + HEADER_BYTES, bytes, utf16 ? 'utf16le' : 'latin1');
    this.index.add(fnv1a(messageId), this.tail);
    this.tail += HEADER_BYTES + bytes;
    this.count++;
    return true;
  }

  /** The oldest record, or undefined when empty. */
  oldest(): string | undefined {
    return this.count === 0 ? undefined : this.textAt(this.head);
  }

  /** Drops the oldest record (there is one). */
  dropOldest(): void {
    this.kill(this.index.slotOf(this.head, this.hashAt(this.head)));
  }

  /** Where the next record goes in the last chunk. */
  private tailOffset(): number {
    return this.tail - this.firstChunkAt - (this.chunks.length - 1) * CHUNK_BYTES;
  }

  /** Ends the last chunk (its unused rest is skipped) and moves the tail to a new one. */
  private startChunk(): void {
    const last = this.chunks[this.chunks.length - 1];
    if (last !== undefined && this.tailOffset() + HEADER_BYTES <= CHUNK_BYTES) last.writeUInt32LE(END_OF_CHUNK, this.tailOffset());
    this.tail = this.firstChunkAt + this.chunks.length * CHUNK_BYTES;
    this.chunks.push(this.spare ?? Buffer.allocUnsafeSlow(CHUNK_BYTES));
    this.spare = undefined;
    this.settleHead();
  }

  /** Marks the record of index slot `at` dead, empties the slot, and moves the head past dead records. */
  private kill(at: number): void {
    const position = this.index.positionAt(at);
    const chunk = this.chunkAt(position);
    const offset = (position - this.firstChunkAt) % CHUNK_BYTES;
    chunk.writeUInt32LE((chunk.readUInt32LE(offset) | DEAD) >>> 0, offset);
    this.index.removeAt(at);
    this.count--;
    this.settleHead();
  }

  /** Moves the head past dead records to the oldest live one (or the tail), dropping the chunks it leaves. */
  private settleHead(): void {
    while (this.head < this.tail) {
      // The head is in the first chunk; the tail is in a later one whenever the head reaches a chunk's end.
      const offset = this.head - this.firstChunkAt;
      if (offset + HEADER_BYTES <= CHUNK_BYTES) {
        const header = this.chunks[0]!.readUInt32LE(offset);
        if (header !== END_OF_CHUNK) {
          if ((header & DEAD) === 0) return;
          this.head += HEADER_BYTES + (header >>> 2);
          if (this.head < this.firstChunkAt + CHUNK_BYTES) continue;
        }
      }
      this.spare = this.chunks.shift();
      this.firstChunkAt += CHUNK_BYTES;
      this.head = this.firstChunkAt;
    }
  }

  /** The index slot that points at `messageId`'s record, or -1. */
  private find(messageId: string): number {
    for (let at = this.index.home(fnv1a(messageId)); ; at = this.index.next(at)) {
      const position = this.index.positionAt(at);
      if (position < 0) return -1;
      if (this.holdsId(position, messageId)) return at;
    }
  }

  /** Whether the record at `position` is message `messageId`'s, compared in place. */
  private holdsId(position: number, messageId: string): boolean {
    const chunk = this.chunkAt(position);
    const offset = (position - this.firstChunkAt) % CHUNK_BYTES;
    const header = chunk.readUInt32LE(offset);
    const length = messageId.length;
    const start = offset + HEADER_BYTES;
    if ((header & UTF16) === 0) {
      if (header >>> 2 <= length || chunk[start + length] !== NEWLINE) return false;
      for (let i = 0; i < length; i++) if (chunk[start + i] !== charCodeOf(messageId, i)) return false;
    } else {
      if (header >>> 2 <= 2 * length || chunk.readUInt16LE(start + 2 * length) !== NEWLINE) return false;
      for (let i = 0; i < length; i++) if (chunk.readUInt16LE(start + 2 * i) !== charCodeOf(messageId, i)) return false;
    }
    return true;
  }

  /** The hash of the message id of the record at `position`, as fnv1a gives it for the id. */
  private hashAt(position: number): number {
    const chunk = this.chunkAt(position);
    const offset = (position - this.firstChunkAt) % CHUNK_BYTES;
    const utf16 = (chunk.readUInt32LE(offset) & UTF16) !== 0;
    let hash = FNV_OFFSET;
    for (let at = offset + HEADER_BYTES; ; at += utf16 ? 2 : 1) {
      const code = utf16 ? chunk.readUInt16LE(at) : chunk[at]!;
      if (code === NEWLINE) return hash >>> 0;
      hash = Math.imul(hash ^ code, FNV_PRIME);
    }
  }

  private textAt(position: number): string {
    const chunk = this.chunkAt(position);
    const offset = (position - this.firstChunkAt) % CHUNK_BYTES;
    const header = chunk.readUInt32LE(offset);
    return chunk.toString((header & UTF16) === 0 ? 'latin1' : 'utf16le', offset + HEADER_BYTES, offset + HEADER_BYTES + (header >>> 2));
  }

  private chunkAt(position: number): Buffer {
    return this.chunks[Math.floor((position - this.firstChunkAt) / CHUNK_BYTES)]!;
  }
}

const CHUNK_BYTES = 1 << 20;
const HEADER_BYTES = 4;
const DEAD = 2;
/** A header no record has: the rest of the chunk is unused. */
const END_OF_CHUNK = 0xffffffff;
const UTF16 = 1;
const NEWLINE = 10;
const NOT_LATIN1 = /[^\u0000-\u00ff]/;
