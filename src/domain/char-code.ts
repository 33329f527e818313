const STRING_CHAR_CODE_AT = String.prototype.charCodeAt;

/**
 * `text.charCodeAt(index)`, for loops over strings of every kind. The strings on the hot path come
 * in many V8 shapes (flat, decoded from the wire; cons, built by templates; thin, after use as a
 * key; sliced; two-byte), so a `text.charCodeAt` property load sees them all, goes megamorphic and
 * looks the method up in V8's generic inline cache on every character: 8.7% of the gateway's bulk
 * samples (bench/README.md, session 14). Called through the method itself, V8 checks only that
 * `text` is a string.
 */
export function charCodeOf(text: string, index: number): number {
  return STRING_CHAR_CODE_AT.call(text, index);
}
