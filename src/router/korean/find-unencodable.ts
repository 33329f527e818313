import { charCodeOf } from '../../domain/char-code.js';
import { EucKrCharClass, eucKrCharClass } from './euc-kr-char-class.js';

/** Which characters count as encodable. */
export interface EucKrEncodingOptions {
  /**
   * Refuse the CP949/UHC extension characters (갂, 뷁 and the other 8,821 codes with a lead or
   * trail byte below 0xA1) as well, for carriers that take strict EUC-KR (KS X 1001) only.
   */
  readonly strictKsX1001: boolean;
}

/** One character that the target encoding cannot carry. */
export interface UnencodableChar {
  /** The code point; a lone surrogate is reported as itself (U+D800 to U+DFFF). */
  readonly codePoint: number;
  /** Its 0-based position in the text, counted in code points (an emoji counts once). */
  readonly index: number;
}

const NONE: readonly UnencodableChar[] = Object.freeze([]);

/**
 * Lists the characters of `text` that EUC-KR (or strict KS X 1001) cannot encode, in order.
 * Returns one shared empty array when there are none, which is the common case. The text is
 * taken as it is: NFC-normalise it first (NFD Hangul is unencodable jamo until composed).
 */
export function findUnencodable(text: string, options: EucKrEncodingOptions): readonly UnencodableChar[] {
  let found: UnencodableChar[] | undefined;
  let index = 0;
  for (let i = 0; i < text.length; i++, index++) {
    const unit = charCodeOf(text, i);
    if (unit < 0x80) continue;
    // codePointAt pairs a valid surrogate pair and returns a lone surrogate as it is.
    const codePoint = text.codePointAt(i) ?? unit;
    if (codePoint > 0xffff) i++;
    if (!isEucKrEncodable(codePoint, options)) (found ??= []).push({ codePoint, index });
  }
  return found ?? NONE;
}

/** Whether one code point is encodable under `options`. */
export function isEucKrEncodable(codePoint: number, options: EucKrEncodingOptions): boolean {
  const charClass = eucKrCharClass(codePoint);
  if (charClass === EucKrCharClass.Cp949Extension) return !options.strictKsX1001;
  return charClass === EucKrCharClass.SingleByte || charClass === EucKrCharClass.KsX1001;
}
