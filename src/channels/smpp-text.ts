import iconv from 'iconv-lite';
import type { SmppDataCoding } from '../config/config.js';

/** data_coding values (SMPP 3.4 5.2.19). */
export const DATA_CODING = { smscDefault: 0x00, ia5: 0x01, latin1: 0x03, ucs2: 0x08, ksc5601: 0x0e } as const;

/** The data_coding octet for a configured coding. */
export function dataCodingOf(coding: SmppDataCoding): number {
  return DATA_CODING[coding];
}

/**
 * Encodes text for the wire: UCS2 is UTF-16 big-endian (characters outside the BMP become
 * surrogate pairs); KS C 5601 is EUC-KR, Hangul in 2 bytes, where a character it cannot encode
 * becomes "?" (the router's Korean text rules refuse or replace those before they get here).
 */
export function encodeText(text: string, coding: SmppDataCoding): Buffer {
  if (coding === 'ucs2') return Buffer.from(text, 'utf16le').swap16();
  return iconv.encode(text, 'euc-kr');
}

/** Decodes short_message bytes by their data_coding; codings other than UCS2 and KS C 5601 are read as Latin-1. */
export function decodeText(bytes: Buffer, dataCoding: number): string {
  switch (dataCoding) {
    case DATA_CODING.ucs2:
      // swap16 works in place: copy first, and drop an odd last byte rather than throw.
      return Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2))).swap16().toString('utf16le');
    case DATA_CODING.ksc5601:
      return iconv.decode(bytes, 'euc-kr');
    default:
      return bytes.toString('latin1');
  }
}
