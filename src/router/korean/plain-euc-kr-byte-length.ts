import { charCodeOf } from '../../domain/char-code.js';
import { EucKrCharClass, eucKrCharClass } from './euc-kr-char-class.js';

/**
 * The EUC-KR byte length of a text the Korean text rules would leave exactly as it is, or -1 when
 * they might change it (or refuse it) and the full path must run: NFC normalisation, the
 * unencodable policy, then eucKrByteLength. One pass, no allocation.
 *
 * "Plain" means every character is below U+0300 (ASCII, Latin-1, Latin Extended, spacing modifier
 * letters) or a precomposed Hangul syllable (U+AC00 to U+D7A3), and EUC-KR encodes it (under
 * `strictKsX1001`, KS X 1001 only). None of those characters is changed by NFC or composes with a
 * neighbour (NFC_Quick_Check=Yes, combining class 0), so a plain text is already NFC, has nothing
 * to fold or replace, and reaches the carrier as it is. That is most Korean text, so most messages
 * skip the full path. A concatenation of plain texts is plain, and its length is the sum.
 */
export function plainEucKrByteLength(text: string, strictKsX1001: boolean): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = charCodeOf(text, i);
    if (unit < 0x80) {
      bytes += 1;
      continue;
    }
    const hangul = unit >= 0xac00 && unit <= 0xd7a3;
    // Every syllable is in CP949, 2 bytes; only strict EUC-KR needs the table (2,350 are in KS X 1001).
    if (hangul && !strictKsX1001) {
      bytes += 2;
      continue;
    }
    if (!hangul && unit >= 0x300) return -1;
    const charClass = eucKrCharClass(unit);
    if (charClass === EucKrCharClass.Unencodable || (charClass === EucKrCharClass.Cp949Extension && strictKsX1001)) return -1;
    bytes += charClass === EucKrCharClass.SingleByte ? 1 : 2;
  }
  return bytes;
}
