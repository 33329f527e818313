import { fail, pass, type Check } from '../check.js';
import { describeAnswer } from '../check-context.js';

/** Not E.164 by any reading: no leading +, letters. */
const INVALID_RECIPIENT = 'not-a-number';

/**
 * A recipient that cannot exist is refused for good (provider.proto, Rejected.retryable: false
 * "when no provider can deliver it (invalid number, ...)"), with a machine-readable code.
 */
export const invalidRecipientCheck: Check = {
  name: 'invalid-recipient',
  summary: 'a recipient that is not E.164 is rejected with a code and retryable=false',
  async run(context) {
    const session = context.openSubmit();
    try {
      const message = context.message('invalid', { recipient: INVALID_RECIPIENT });
      await session.write([message]);
      await session.allAnswered(context.settings.timeoutMs);
      const answer = session.answers.get(message.messageId)?.[0];
      const outcome = answer?.outcome;
      if (outcome?.$case !== 'rejected') {
        return fail(`recipient ${JSON.stringify(INVALID_RECIPIENT)} was ${describeAnswer(answer)}; want rejected with a code and retryable=false`);
      }
      if (outcome.value.code.trim() === '') return fail(`the rejection has no code (reason ${JSON.stringify(outcome.value.reason)}); want a machine-readable code such as INVALID_NUMBER`);
      if (outcome.value.retryable) {
        return fail(`rejected ${outcome.value.code} but retryable=true; an invalid number fails everywhere, so retryable must be false (or the gateway tries every other supplier)`);
      }
      return pass(`rejected ${outcome.value.code}, permanent`);
    } finally {
      await session.close(context.closeGraceMs);
    }
  },
};
