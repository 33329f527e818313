/**
 * A run that may be a phone number: 8 or more digits, with "+", "-", "." or spaces between them
 * (+821012345678, 010-1234-5678, 02 1234 5678).
 */
const PHONE_LIKE = /\+?\d(?:[\d\-. ]{6,}\d)/g;

/**
 * A supplier's text (a failure reason or description) with each phone number masked to its first
 * three characters and last four digits ("010****5678", "+82****5678"). The gateway stores these texts, and returns them
 * in statuses and reports, so no phone number reaches the store or a log in the clear through
 * them (RELIABILITY §6). Other runs of 8+ digits are masked the same way.
 */
export function maskPhoneNumbers(text: string): string {
  if (text.length < 8) return text;
  return text.replace(PHONE_LIKE, (run) => {
    const digits = run.replace(/\D/g, '');
    if (digits.length < 8) return run;
    return `${run.slice(0, 3)}****${digits.slice(-4)}`;
  });
}
