import iconv from 'iconv-lite';

/**
 * How one Unicode code point fares in EUC-KR as Korean carriers use it (CP949, also called UHC,
 * which is what iconv-lite means by 'euc-kr').
 */
export const EucKrCharClass = {
  /** No EUC-KR code: iconv-lite would silently send '?' (0x3F) in its place. */
  Unencodable: 0,
  /** One byte: ASCII (U+0000 to U+007F). */
  SingleByte: 1,
  /** Two bytes, both at or above 0xA1: KS X 1001, so strict EUC-KR carriers take it too. */
  KsX1001: 2,
  /** Two bytes with a lead or trail byte below 0xA1: a CP949/UHC extension such as 갂 (81 41) or 뷁 (94 EE). */
  Cp949Extension: 3,
} as const;
export type EucKrCharClass = (typeof EucKrCharClass)[keyof typeof EucKrCharClass];

const ENCODING = 'euc-kr';
const BMP_SIZE = 0x10000;

/** Per-BMP-code-unit classes, built on first use (about 30 ms once per thread, 64 KiB). */
let table: Uint8Array | undefined;

/**
 * Classifies one code point. Code points above the BMP (emoji, for instance) have no code in
 * EUC-KR; lone surrogates (U+D800 to U+DFFF) are unencodable too.
 */
export function eucKrCharClass(codePoint: number): EucKrCharClass {
  if (codePoint < 0x80) return EucKrCharClass.SingleByte;
  if (codePoint >= BMP_SIZE) return EucKrCharClass.Unencodable;
  return (table ??= buildTable())[codePoint] as EucKrCharClass;
}

/**
 * Asks iconv-lite once about every BMP character, in one encode and one decode call, rather than
 * once per character per message. A character is encodable only if it survives the round trip
 * `decode(encode(c)) === c`: iconv-lite encodes what it cannot map as '?', without an error.
 */
function buildTable(): Uint8Array {
  const classes = new Uint8Array(BMP_SIZE);
  const units: number[] = [];
  for (let unit = 0x80; unit < BMP_SIZE; unit++) {
    if (unit < 0xd800 || unit > 0xdfff) units.push(unit);
  }
  // In chunks: one call with 63,488 arguments could overflow the stack.
  const chunks: string[] = [];
  for (let i = 0; i < units.length; i += 4096) chunks.push(String.fromCharCode(...units.slice(i, i + 4096)));
  const text = chunks.join('');
  const bytes = iconv.encode(text, ENCODING);
  const back = iconv.decode(bytes, ENCODING);
  // Every character becomes one or two bytes and decodes back to one UTF-16 unit. If a future
  // iconv-lite breaks that, ask per character: slower (about 200 ms), never wrong.
  if (back.length !== text.length) return buildTableOneByOne(units);
  let offset = 0;
  for (let i = 0; i < units.length; i++) {
    const unit = units[i] ?? 0;
    const lead = bytes[offset] ?? 0;
    const width = lead < 0x80 ? 1 : 2;
    if (back.charCodeAt(i) === unit) classes[unit] = classOfBytes(lead, width === 2 ? (bytes[offset + 1] ?? 0) : 0, width);
    offset += width;
  }
  if (offset !== bytes.length) return buildTableOneByOne(units);
  return classes;
}

function buildTableOneByOne(units: readonly number[]): Uint8Array {
  const classes = new Uint8Array(BMP_SIZE);
  for (const unit of units) {
    const char = String.fromCharCode(unit);
    const bytes = iconv.encode(char, ENCODING);
    if (iconv.decode(bytes, ENCODING) !== char) continue;
    classes[unit] = classOfBytes(bytes[0] ?? 0, bytes[1] ?? 0, bytes.length);
  }
  return classes;
}

function classOfBytes(lead: number, trail: number, width: number): EucKrCharClass {
  if (width === 1) return EucKrCharClass.SingleByte;
  return lead >= 0xa1 && trail >= 0xa1 ? EucKrCharClass.KsX1001 : EucKrCharClass.Cp949Extension;
}
