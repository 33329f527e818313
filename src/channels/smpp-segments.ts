import type { SmppDataCoding } from '../config/config.js';

/** What fits in one short_message (140 octets), and what is left per segment after an 8-bit concatenation UDH. */
export const SINGLE_MESSAGE_BYTES = 140;
const UDH_BYTES = 6;
export const SEGMENT_PAYLOAD_BYTES = SINGLE_MESSAGE_BYTES - UDH_BYTES;
/** The concatenation IE numbers segments in one octet. */
export const MAX_SEGMENTS = 255;

/** One submit_sm's worth of a message: its short_message bytes, UDH included when udhi is set. */
export interface Segment {
  readonly shortMessage: Buffer;
  /** Set esm_class UDHI (0x40): the short_message starts with a UDH. */
  readonly udhi: boolean;
}

export class MessageTooLongError extends Error {
  override readonly name = 'MessageTooLongError';
}

/**
 * Splits encoded text into submit_sm segments. Text that fits 140 octets goes as one plain
 * segment; longer text is cut into parts of at most 134 octets, each behind a UDH with the 8-bit
 * concatenation IE (00 03 ref total seq), never in the middle of a character: not between the
 * halves of a UCS2 surrogate pair, nor between the two bytes of an EUC-KR character.
 * `reference` (0..255) must differ between the long messages a recipient gets at about the same time.
 */
export function splitIntoSegments(encoded: Buffer, coding: SmppDataCoding, reference: number): Segment[] {
  if (encoded.length <= SINGLE_MESSAGE_BYTES) return [{ shortMessage: encoded, udhi: false }];
  const parts: Buffer[] = [];
  for (let start = 0; start < encoded.length; ) {
    const end = cutPoint(encoded, start, coding);
    parts.push(encoded.subarray(start, end));
    start = end;
  }
  if (parts.length > MAX_SEGMENTS) throw new MessageTooLongError(`${encoded.length} bytes need ${parts.length} segments; SMPP concatenation allows ${MAX_SEGMENTS}`);
  return parts.map((part, i) => ({
    shortMessage: Buffer.concat([Buffer.from([0x05, 0x00, 0x03, reference & 0xff, parts.length, i + 1]), part]),
    udhi: true,
  }));
}

/** Where the segment starting at `start` ends: as far as fits, backed off to a character boundary. */
function cutPoint(encoded: Buffer, start: number, coding: SmppDataCoding): number {
  const limit = Math.min(encoded.length, start + SEGMENT_PAYLOAD_BYTES);
  if (limit === encoded.length) return limit;
  if (coding === 'ucs2') {
    let end = start + Math.floor((limit - start) / 2) * 2;
    // A high surrogate as the last unit would leave its pair's other half in the next segment.
    const lastUnit = encoded.readUInt16BE(end - 2);
    if (lastUnit >= 0xd800 && lastUnit <= 0xdbff) end -= 2;
    return end;
  }
  // EUC-KR (and CP949): a byte >= 0x81 starts a 2-byte character; walk from the segment start.
  let end = start;
  while (end < limit) {
    const width = (encoded[end] as number) >= 0x81 ? 2 : 1;
    if (end + width > limit) break;
    end += width;
  }
  return end;
}

/** One part of a concatenated message, read from its UDH. */
export interface ConcatenationPart {
  readonly reference: number;
  readonly total: number;
  readonly sequence: number;
  /** The short_message after the UDH. */
  readonly payload: Buffer;
}

/**
 * Reads the concatenation IE (8-bit 0x00 or 16-bit 0x08) from a short_message that starts with a
 * UDH. Returns the payload alone (reference 0, total 1) when the UDH holds no concatenation IE,
 * and null when the UDH is malformed.
 */
export function readConcatenation(shortMessage: Buffer): ConcatenationPart | null {
  const udhLength = shortMessage[0];
  if (udhLength === undefined || udhLength + 1 > shortMessage.length) return null;
  const payload = shortMessage.subarray(udhLength + 1);
  for (let at = 1; at + 1 < udhLength + 1; ) {
    const ie = shortMessage[at] as number;
    const length = shortMessage[at + 1] as number;
    const data = shortMessage.subarray(at + 2, at + 2 + length);
    if (data.length !== length) return null;
    if (ie === 0x00 && length === 3) return { reference: data[0] as number, total: data[1] as number, sequence: data[2] as number, payload };
    if (ie === 0x08 && length === 4) return { reference: data.readUInt16BE(0), total: data[2] as number, sequence: data[3] as number, payload };
    at += 2 + length;
  }
  return { reference: 0, total: 1, sequence: 1, payload };
}
