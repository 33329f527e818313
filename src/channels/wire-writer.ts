import { charCodeOf } from '../domain/char-code.js';

/** Scratch space a writer starts with; it grows to the largest frame written and keeps that size up to MAX_KEPT_BYTES. */
const INITIAL_BYTES = 64 * 1024;
const MAX_KEPT_BYTES = 4 * 1024 * 1024;
/** Strings up to this many UTF-16 units are tried as ASCII in JS: cheaper than a native call for ids and numbers. */
const ASCII_MAX_LENGTH = 32;

/**
 * Writes protobuf wire format into one scratch buffer that is reused for every frame, and hands
 * each frame out as one exact-size Buffer. The generated encoders (ts-proto on @bufbuild's
 * BinaryWriter) start every frame from a 128-byte buffer that doubles as it grows, and the frame is
 * copied twice more on its way out (finish(), then Buffer.from()); this writes each byte once and
 * copies the frame once. Length prefixes are guessed and the bytes shifted when the guess was
 * short, as BinaryWriter does. Byte for byte the output is what the generated encoders write.
 */
export class WireWriter {
  private buf = Buffer.allocUnsafe(INITIAL_BYTES);
  private pos = 0;

  /** A field's tag, or any other uint32 varint. */
  uint32(value: number): void {
    this.reserve(5);
    const buf = this.buf;
    let pos = this.pos;
    while (value > 0x7f) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  /** An int64 given as a non-negative safe integer (callers check: the generated encoder handles the rest). */
  uint53(value: number): void {
    if (value <= 0xffffffff) {
      this.uint32(value);
      return;
    }
    // Millisecond timestamps land here: 28 low bits as 4 bytes, then the rest (at most 25 bits) in 32-bit steps.
    this.reserve(8);
    const buf = this.buf;
    let pos = this.pos;
    const lo = value % 0x100000000;
    const hi = (value - lo) / 0x100000000;
    buf[pos++] = (lo & 0x7f) | 0x80;
    buf[pos++] = ((lo >>> 7) & 0x7f) | 0x80;
    buf[pos++] = ((lo >>> 14) & 0x7f) | 0x80;
    buf[pos++] = ((lo >>> 21) & 0x7f) | 0x80;
    let rest = (lo >>> 28) | (hi << 4);
    while (rest > 0x7f) {
      buf[pos++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    buf[pos++] = rest;
    this.pos = pos;
  }

  /** A length-prefixed UTF-8 string (lone surrogates become U+FFFD, as TextEncoder does). */
  string(value: string): void {
    const len = value.length;
    this.reserve(len * 3 + 5);
    const buf = this.buf;
    const start = this.pos;
    if (len <= ASCII_MAX_LENGTH) {
      let pos = start + 1;
      let i = 0;
      for (; i < len; i++) {
        const code = charCodeOf(value, i);
        if (code > 0x7f) break;
        buf[pos++] = code;
      }
      if (i === len) {
        buf[start] = len;
        this.pos = pos;
        return;
      }
    }
    // Guess the prefix from the UTF-16 length (right for ASCII), encode, and shift if the guess was short.
    const guess = varint32Size(len);
    const written = buf.write(value, start + guess, 'utf8');
    this.pos = start;
    this.finishLength(start, guess, written);
  }

  /** A string field set to '' (proto3 leaves it out of a message, but not out of a repeated field). */
  emptyString(tag: number): void {
    this.uint32(tag);
    this.uint32(0);
  }

  /** Bytes already in wire format (fields copied from a frame that was read). */
  copy(from: Buffer, start: number, end: number): void {
    const length = end - start;
    this.reserve(length);
    const buf = this.buf;
    let pos = this.pos;
    // Short runs (a field or two) are cheaper copied here than through a native call.
    if (length <= 64) for (let i = start; i < end; i++) buf[pos++] = from[i] as number;
    else pos += from.copy(buf, pos, start, end);
    this.pos = pos;
  }

  /** Starts a length-delimited field's payload (a nested message): returns where its length goes. */
  fork(): number {
    this.reserve(1);
    return this.pos++;
  }

  /** Ends the payload started at `at` by fork(): writes its length there. */
  join(at: number): void {
    this.finishLength(at, 1, this.pos - at - 1);
  }

  /** Drops what was written since the last finish(). */
  reset(): void {
    this.pos = 0;
  }

  /** Hands out what was written since the last finish() as a Buffer of its own, and starts over. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    if (this.buf.length > MAX_KEPT_BYTES) this.buf = Buffer.allocUnsafe(INITIAL_BYTES);
    return out;
  }

  /** `length` bytes were written at `at + reserved`: moves them if the varint needs more room, writes it, and moves past them. */
  private finishLength(at: number, reserved: number, length: number): void {
    const size = varint32Size(length);
    if (size !== reserved) {
      this.pos = at + reserved + length;
      this.reserve(size - reserved);
      this.buf.copyWithin(at + size, at + reserved, at + reserved + length);
    }
    this.pos = at;
    this.uint32(length);
    this.pos += length;
  }

  private reserve(bytes: number): void {
    const needed = this.pos + bytes;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}

function varint32Size(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}
