import { fail, pass, type Check } from '../check.js';
import { describeAnswer } from '../check-context.js';

/** How far in the past the test message expired: far beyond any clock skew. */
const EXPIRED_AGO_MS = 10 * 60_000;

/** A message past expires_at_ms is rejected with code EXPIRED (provider.proto, ProviderMessage.expires_at_ms). */
export const expiredCheck: Check = {
  name: 'expired',
  summary: 'a message past its expires_at_ms is rejected with code EXPIRED',
  async run(context) {
    const session = context.openSubmit();
    try {
      const message = context.message('expired', { expiresAtMs: Date.now() - EXPIRED_AGO_MS });
      await session.write([message]);
      await session.allAnswered(context.settings.timeoutMs);
      const answer = session.answers.get(message.messageId)?.[0];
      const outcome = answer?.outcome;
      if (outcome?.$case !== 'rejected' || outcome.value.code !== 'EXPIRED') {
        return fail(`a message that expired ${EXPIRED_AGO_MS / 60_000} minutes ago was ${describeAnswer(answer)}; want rejected with code EXPIRED`);
      }
      return pass(`rejected EXPIRED (${outcome.value.retryable ? 'retryable' : 'permanent'})`);
    } finally {
      await session.close(context.closeGraceMs);
    }
  },
};
