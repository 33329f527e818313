import { charCodeOf } from '../../domain/char-code.js';
import { EucKrCharClass, eucKrCharClass } from './euc-kr-char-class.js';

/**
 * The number of bytes `text` takes in EUC-KR (CP949), which is how Korean carriers measure SMS,
 * LMS and subject limits: ASCII is 1 byte, Hangul and every other double-byte character 2 bytes.
 *
 * A character EUC-KR cannot encode counts as 1 byte, the '?' iconv-lite would send in its place
 * (one per code point, so an emoji is 1). Run {@link applyUnencodablePolicy} first so that no such
 * character is left and the count is the count of what is really sent.
 *
 * Allocates nothing: ASCII and precomposed Hangul are counted inline, everything else is one
 * lookup in a table built once from iconv-lite.
 */
export function eucKrByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = charCodeOf(text, i);
    if (unit < 0x80) {
      bytes += 1;
    } else if (unit >= 0xac00 && unit <= 0xd7a3) {
      // All 11,172 precomposed syllables are in CP949 (2,350 of them in KS X 1001), 2 bytes each.
      bytes += 2;
    } else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(charCodeOf(text, i + 1))) {
      // A character outside the BMP: never encodable, one '?'.
      bytes += 1;
      i++;
    } else {
      const charClass = eucKrCharClass(unit);
      bytes += charClass === EucKrCharClass.KsX1001 || charClass === EucKrCharClass.Cp949Extension ? 2 : 1;
    }
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
