/**
 * The types a template variable can be declared with (templates[].variables). A value is checked
 * against its type when the message is accepted (and again when it is rendered, for messages
 * accepted under an earlier config), so a malformed amount or date never reaches a recipient.
 */
export const VARIABLE_TYPES = ['string', 'number', 'amount', 'date'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

const NUMBER = /^-?\d+(\.\d+)?$/;
/** Won: a whole number, with or without thousands separators ("12000", "12,000"). */
const AMOUNT = /^(\d{1,3}(,\d{3})+|\d+)$/;
/** A calendar date, optionally with a time of day: "2026-11-26" or "2026-11-26 14:30". */
const DATE = /^(\d{4})-(\d{2})-(\d{2})( ([01]\d|2[0-3]):[0-5]\d)?$/;

/** Why `value` is not of `type` (a phrase to follow "variables.<name>"), or null when it is. */
export function checkVariable(type: VariableType, value: string): string | null {
  switch (type) {
    case 'string':
      return null;
    case 'number':
      return NUMBER.test(value) ? null : `must be a number, e.g. "42" or "-3.5"; got ${JSON.stringify(value)}`;
    case 'amount':
      return AMOUNT.test(value) ? null : `must be an amount in whole won, e.g. "12000" or "12,000"; got ${JSON.stringify(value)}`;
    case 'date': {
      const match = DATE.exec(value);
      if (match !== null) {
        const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
        const date = new Date(Date.UTC(year, month - 1, day));
        if (date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day) return null;
      }
      return `must be a date, "YYYY-MM-DD" or "YYYY-MM-DD HH:MM"; got ${JSON.stringify(value)}`;
    }
  }
}
