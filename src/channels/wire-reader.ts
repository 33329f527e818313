/**
 * Reads protobuf wire format from a Buffer, for the decoders that build our own objects straight
 * from a frame instead of the generated ts-proto objects first. Like @bufbuild's BinaryReader it
 * throws on truncated input and decodes invalid UTF-8 to U+FFFD (a leading U+FEFF is text, not a
 * byte-order mark).
 */
export class WireReader {
  pos = 0;

  constructor(private readonly buf: Buffer) {}

  get buffer(): Buffer {
    return this.buf;
  }

  get end(): number {
    return this.buf.length;
  }

  /** A tag or other varint, as its low 32 bits unsigned (the generated decoders' uint32()). */
  uint32(): number {
    const buf = this.buf;
    let b = buf[this.pos++] as number;
    let value = b & 0x7f;
    if (b < 0x80) return this.checked(value);
    for (let shift = 7; shift < 32; shift += 7) {
      b = buf[this.pos++] as number;
      value |= (b & 0x7f) << shift;
      if (b < 0x80) return this.checked(value >>> 0);
    }
    // A negative int32 is sign-extended to 10 bytes: its high bytes carry nothing more.
    for (let i = 5; i < 10; i++) if ((buf[this.pos++] as number) < 0x80) return this.checked(value >>> 0);
    throw new Error('invalid varint');
  }

  /** An int32 or enum value. */
  int32(): number {
    return this.uint32() | 0;
  }

  bool(): boolean {
    const buf = this.buf;
    let nonZero = false;
    for (let i = 0; i < 10; i++) {
      const b = buf[this.pos++] as number;
      if ((b & 0x7f) !== 0) nonZero = true;
      if (b < 0x80) {
        this.checked(0);
        return nonZero;
      }
    }
    throw new Error('invalid varint');
  }

  /** An int64 as a number; throws outside the safe integer range, like ts-proto's longToNumber with forceLong=number. */
  int64(): number {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      b = buf[this.pos++] as number;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return this.checked(lo >>> 0);
    }
    b = buf[this.pos++] as number;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      let shift = 3;
      for (; shift <= 31; shift += 7) {
        b = buf[this.pos++] as number;
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
      if (shift > 31) throw new Error('invalid varint');
    }
    this.checked(0);
    let value: number;
    if (hi & 0x80000000) {
      // Two's complement of (hi, lo).
      const negLo = (~lo + 1) >>> 0;
      const negHi = (~hi + (negLo === 0 ? 1 : 0)) >>> 0;
      value = -(negHi * 0x100000000 + negLo);
    } else {
      value = (hi >>> 0) * 0x100000000 + (lo >>> 0);
    }
    if (value > Number.MAX_SAFE_INTEGER) throw new Error('Value is larger than Number.MAX_SAFE_INTEGER');
    if (value < Number.MIN_SAFE_INTEGER) throw new Error('Value is smaller than Number.MIN_SAFE_INTEGER');
    return value;
  }

  string(): string {
    const len = this.uint32();
    const start = this.pos;
    const end = start + len;
    if (end > this.buf.length) throw new RangeError('premature EOF');
    this.pos = end;
    // One native call, which allocates the string alone. Short ASCII strings (ids, codes) used to be
    // built in JS from an array of their char codes: as fast, but 5.5 times the garbage, ~1.3 KB per
    // message through the gateway's reports and submit answers.
    return this.buf.toString('utf8', start, end);
  }

  /** The length of a nested message, and where it ends. */
  messageEnd(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.buf.length) throw new RangeError('premature EOF');
    return end;
  }

  /** Skips the value of a field of an unknown number (or of an unexpected wire type). */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        // Past the end, the byte reads undefined and the loop stops; checked() below throws.
        while ((this.buf[this.pos++] as number) >= 0x80);
        break;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.messageEnd();
        break;
      case 3:
        for (;;) {
          const tag = this.uint32();
          if ((tag & 7) === 4) break;
          this.skip(tag & 7);
        }
        break;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new Error(`cannot skip wire type ${wireType}`);
    }
    this.checked(0);
  }

  private checked(value: number): number {
    if (this.pos > this.buf.length) throw new RangeError('premature EOF');
    return value;
  }
}
