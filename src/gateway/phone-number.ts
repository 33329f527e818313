/** Result of normalising a recipient number. */
export type PhoneNumberResult = { ok: true; e164: string } | { ok: false; why: string };

/** ASCII space only, not \s: a newline, tab or Unicode space in a number is junk to refuse, not a separator. */
const SEPARATORS = /[ \-().]/g;
const KR_MOBILE_NATIONAL = /^1[016789]\d{7,8}$/;
/** The form most numbers arrive in ("01012345678"): one test instead of the general path's several. */
const KR_MOBILE_DOMESTIC_COMPACT = /^01[016789]\d{7,8}$/;

/**
 * Normalises a recipient to E.164. Accepts Korean mobile numbers in domestic form
 * ("010-1234-5678", "01012345678") or E.164 ("+821012345678"), with spaces, hyphens, dots and
 * parentheses allowed as separators. Only ASCII digits count: full-width or other scripts' digits
 * are refused rather than guessed at. Numbers outside Korea are accepted only when the tenant
 * allows international sending.
 */
export function normalizePhoneNumber(raw: string, allowInternational: boolean): PhoneNumberResult {
  if (KR_MOBILE_DOMESTIC_COMPACT.test(raw) && !(raw.startsWith('010') && raw.length !== 11)) return { ok: true, e164: `+82${raw.slice(1)}` };
  const compact = raw.replace(SEPARATORS, '');
  if (!/^\+?\d+$/.test(compact)) return { ok: false, why: 'is not a valid phone number' };
  if (compact.startsWith('+82')) {
    const national = compact.slice(3);
    if (!KR_MOBILE_NATIONAL.test(national) || (national.startsWith('10') && national.length !== 10)) {
      return { ok: false, why: 'is not a valid Korean mobile number' };
    }
    return { ok: true, e164: compact };
  }
  if (compact.startsWith('+')) {
    if (!/^\+[1-9]\d{7,14}$/.test(compact)) return { ok: false, why: 'is not a valid E.164 phone number' };
    if (!allowInternational) return { ok: false, why: 'is outside Korea and international sending is not enabled for this tenant' };
    return { ok: true, e164: compact };
  }
  if (compact.startsWith('0')) {
    const national = compact.slice(1);
    if (!KR_MOBILE_NATIONAL.test(national) || (national.startsWith('10') && national.length !== 10)) {
      return { ok: false, why: 'is not a valid Korean mobile number' };
    }
    return { ok: true, e164: `+82${national}` };
  }
  return { ok: false, why: 'is not a valid phone number (use 010-1234-5678 or +821012345678)' };
}
