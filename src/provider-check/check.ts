import type { CheckContext } from './check-context.js';

/** The verdict of one check: `detail` says what was seen, and on failure what the contract wanted instead. */
export interface CheckOutcome {
  readonly passed: boolean;
  readonly detail: string;
}

/** One item of the battery. Checks run in order, each on its own streams, and share the context. */
export interface Check {
  /** Short kebab-case name, printed in the table and used in --json. */
  readonly name: string;
  /** One line: the part of the provider contract it checks. */
  readonly summary: string;
  run(context: CheckContext): Promise<CheckOutcome>;
}

export const pass = (detail: string): CheckOutcome => ({ passed: true, detail });
export const fail = (detail: string): CheckOutcome => ({ passed: false, detail });
