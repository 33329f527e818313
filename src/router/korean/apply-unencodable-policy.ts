import { findUnencodable, isEucKrEncodable, type UnencodableChar } from './find-unencodable.js';

/**
 * What to do with characters EUC-KR cannot encode. Plain data: the config schema produces it and
 * it crosses to worker threads as it is.
 */
export interface UnencodablePolicy {
  /**
   * `reject` refuses the text and names every character left (after folding); `replace` puts
   * `replacement` in the place of each unencodable grapheme (one '?' for a whole family emoji,
   * not five). Never silent either way: `replace` reports what it changed.
   */
  readonly action: 'reject' | 'replace';
  /**
   * Used by `replace`; must itself be encodable. '?' is the recommended default: it keeps a visible
   * mark where a symbol was lost, where dropping it could join words or numbers ("10😀20" → "1020").
   * '' (drop) is allowed for tenants that prefer it.
   */
  readonly replacement: string;
  /**
   * Before rejecting or replacing, map invisible or look-alike characters that usually come from
   * copy and paste to what a reader sees anyway: no-break and other Unicode spaces to ' ', zero-width
   * and bidirectional controls (ZWJ, U+202E) and variation selectors to nothing, dashes and the minus
   * sign to '-', ₩ to ￦, ・ to ·. Recommended on.
   */
  readonly foldLookalikes: boolean;
  /** Also refuse CP949-only characters such as 갂 and 뷁, for strict EUC-KR (KS X 1001) carriers. */
  readonly strictKsX1001: boolean;
}

/** Which message field a text is, for the reason text. */
export type TextField = 'body' | 'subject';

/** The text to send, or why it cannot be sent. */
export type UnencodablePolicyResult =
  | {
      readonly ok: true;
      /** NFC-normalised, folded and replaced: every character in it is encodable. */
      readonly text: string;
      /** The characters that were folded, replaced or dropped, with their positions; usually empty. */
      readonly changed: readonly UnencodableChar[];
    }
  | {
      readonly ok: false;
      readonly code: 'UNENCODABLE_CHARACTERS';
      /** e.g. "body has 2 characters EUC-KR cannot encode: U+1F600 at 12, U+00A0 at 20". */
      readonly reason: string;
      readonly unencodable: readonly UnencodableChar[];
    };

/** At most this many characters are named in a reason; the count says how many there are. */
const MAX_NAMED = 5;

/**
 * NFC-normalises `text` (so that decomposed Hangul, as macOS produces it, becomes encodable
 * syllables) and applies `policy` to what EUC-KR still cannot encode. Positions in results are
 * code-point offsets in the NFC-normalised text, before folding.
 */
export function applyUnencodablePolicy(text: string, policy: UnencodablePolicy, field: TextField): UnencodablePolicyResult {
  const normalized = text.normalize('NFC');
  const found = findUnencodable(normalized, policy);
  if (found.length === 0) return { ok: true, text: normalized, changed: found };
  if (policy.action === 'replace') return { ok: true, text: replaceUnencodable(normalized, policy), changed: found };
  const left = policy.foldLookalikes ? found.filter((char) => !LOOKALIKE_FOLDS.has(char.codePoint)) : found;
  if (left.length === 0) return { ok: true, text: foldLookalikes(normalized), changed: found };
  return { ok: false, code: 'UNENCODABLE_CHARACTERS', reason: describeUnencodable(field, left, policy.strictKsX1001), unencodable: left };
}

function describeUnencodable(field: TextField, chars: readonly UnencodableChar[], strict: boolean): string {
  const what = strict ? 'outside KS X 1001 (strict EUC-KR)' : 'EUC-KR cannot encode';
  const count = chars.length === 1 ? '1 character' : `${chars.length} characters`;
  const named = chars
    .slice(0, MAX_NAMED)
    .map((char) => `${formatCodePoint(char.codePoint)} at ${char.index}`)
    .join(', ');
  const more = chars.length > MAX_NAMED ? `, and ${chars.length - MAX_NAMED} more` : '';
  // Code points, never the characters: the reason is logged, and a U+202E would reorder the line.
  return `${field} has ${count} ${what}: ${named}${more}`;
}

/** "U+1F600", "U+00A0": at least four upper-case hex digits, as Unicode writes them. */
function formatCodePoint(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

function foldLookalikes(text: string): string {
  let out = '';
  for (const char of text) out += LOOKALIKE_FOLDS.get(char.codePointAt(0) ?? 0) ?? char;
  return out;
}

// Module level: creating a segmenter costs far more than using one.
let graphemes: Intl.Segmenter | undefined;

/**
 * Replaces by grapheme (what a reader sees as one character): each grapheme that holds an
 * unencodable code point gets one replacement, and its encodable code points stay ("1️⃣" → "1?").
 */
function replaceUnencodable(text: string, policy: UnencodablePolicy): string {
  for (const char of policy.replacement) {
    if (!isEucKrEncodable(char.codePointAt(0) ?? 0, policy)) {
      throw new RangeError(`the replacement for unencodable characters must be encodable, got ${formatCodePoint(char.codePointAt(0) ?? 0)}`);
    }
  }
  graphemes ??= new Intl.Segmenter('ko', { granularity: 'grapheme' });
  let out = '';
  for (const { segment } of graphemes.segment(text)) {
    let replaced = false;
    for (const char of segment) {
      const codePoint = char.codePointAt(0) ?? 0;
      if (isEucKrEncodable(codePoint, policy)) {
        out += char;
        continue;
      }
      const folded = policy.foldLookalikes ? LOOKALIKE_FOLDS.get(codePoint) : undefined;
      if (folded !== undefined) {
        out += folded;
      } else if (!replaced) {
        out += policy.replacement;
        replaced = true;
      }
    }
  }
  return out;
}

/**
 * What `foldLookalikes` does: invisible and look-alike characters, each mapped to an encodable
 * equivalent (the tests check every target is ASCII or KS X 1001). Kept short on purpose: only
 * what shows up in real texts.
 */
export const LOOKALIKE_FOLDS: ReadonlyMap<number, string> = new Map([
  // Spaces: no-break, ogham, en/em/thin/hair and the rest, narrow no-break, medium mathematical.
  ...[0x00a0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x202f, 0x205f].map(
    (codePoint): [number, string] => [codePoint, ' '],
  ),
  // Invisible: zero-width space/joiners, LRM/RLM, bidi embeddings and overrides (U+202A to U+202E),
  // word joiner and invisible operators, bidi isolates, BOM, variation selectors.
  ...[
    0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x2066, 0x2067, 0x2068,
    0x2069, 0xfeff, 0xfe00, 0xfe01, 0xfe02, 0xfe03, 0xfe04, 0xfe05, 0xfe06, 0xfe07, 0xfe08, 0xfe09, 0xfe0a, 0xfe0b, 0xfe0c, 0xfe0d, 0xfe0e, 0xfe0f,
  ].map((codePoint): [number, string] => [codePoint, '']),
  // Hyphens and dashes (U+2015 ― is encodable and stays), minus sign.
  ...[0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212].map((codePoint): [number, string] => [codePoint, '-']),
  [0x20a9, '\uffe6'], // ₩ → ￦ (full-width won sign, A3DC)
  [0x30fb, '\u00b7'], // ・ katakana middle dot → · (A1A4)
  [0x2027, '\u00b7'], // ‧ hyphenation point → ·
  [0x2022, '\u00b7'], // • bullet → ·
  [0x301c, '\uff5e'], // 〜 wave dash → ～ (A2A6)
]);
