import type { SubmitResult } from '../../gen/switchboard/provider/v1/provider.js';
import { fail, pass, type Check } from '../check.js';
import { describeAnswer } from '../check-context.js';
import type { SubmitSession } from '../submit-session.js';

/**
 * A repeated message_id is a duplicate (provider.proto): it is answered as accepted again with the
 * same provider_ref, and not delivered twice. Observed as: the same answer when the id comes again
 * on the same stream, on a new stream and twice within one frame; and at most one delivery report
 * (by distinct report_id) for the id.
 */
export const idempotencyCheck: Check = {
  name: 'idempotency',
  summary: 'a repeated message_id gets the same accepted answer and provider_ref, and one delivery',
  async run(context) {
    const timeoutMs = context.settings.timeoutMs;
    const first = context.openSubmit();
    const second = context.openSubmit();
    try {
      const original = context.message('idem');
      await first.write([original]);
      const firstAnswer = await answerOf(first, original.messageId, 1, timeoutMs);
      if (firstAnswer?.outcome?.$case !== 'accepted' || firstAnswer.outcome.value.providerRef === '') {
        return fail(`the first submit of ${original.messageId} was ${describeAnswer(firstAnswer)}; need an accepted message to test duplicates`);
      }
      const ref = firstAnswer.outcome.value.providerRef;
      const problems: string[] = [];
      const expectSame = (where: string, answer: SubmitResult | undefined): void => {
        if (answer?.outcome?.$case !== 'accepted' || answer.outcome.value.providerRef !== ref) {
          problems.push(`${where} it was ${describeAnswer(answer)}, want accepted with the first ref ${JSON.stringify(ref)}`);
        }
      };

      await first.write([original]);
      expectSame('resent on the same stream', await answerOf(first, original.messageId, 2, timeoutMs));
      await second.write([original]);
      expectSame('resent on a new stream', await answerOf(second, original.messageId, 1, timeoutMs));

      // Twice in one frame: both copies arrive before either is answered.
      const twin = context.message('idem');
      await second.write([twin, twin]);
      const [a, b] = (await second.until(() => (second.answers.get(twin.messageId)?.length ?? 0) >= 2, timeoutMs))
        ? (second.answers.get(twin.messageId) as SubmitResult[])
        : [];
      const refA = a?.outcome?.$case === 'accepted' ? a.outcome.value.providerRef : undefined;
      const refB = b?.outcome?.$case === 'accepted' ? b.outcome.value.providerRef : undefined;
      if (refA === undefined || refA === '' || refA !== refB) {
        problems.push(`sent twice in one frame, it was ${describeAnswer(a)} then ${describeAnswer(b)}, want both accepted with one ref`);
      }
      if (problems.length > 0) return fail(`message_id repeated: ${problems.join('; ')}`);

      // Not delivered twice: wait for its report, then a while longer for a second one.
      const reports = context.openReports(true);
      try {
        const ids = [original.messageId, twin.messageId];
        const reportIdsFor = (id: string): Set<string> =>
          new Set(context.ledger.deliveries.filter((d) => d.delivery.messageId === id).map((d) => d.reportId));
        const reported = await reports.until(() => ids.every((id) => reportIdsFor(id).size > 0), timeoutMs);
        await reports.until(() => false, context.settleMs);
        const twice = ids.filter((id) => reportIdsFor(id).size > 1);
        if (twice.length > 0) {
          return fail(`${twice.join(', ')} got ${reportIdsFor(twice[0] as string).size} delivery reports with different report_ids: a duplicate was delivered again`);
        }
        return pass(`same ref on the same stream, a new stream and within one frame${reported ? '; one delivery report each' : ''}`);
      } finally {
        await reports.close(context.closeGraceMs);
      }
    } finally {
      await Promise.all([first.close(context.closeGraceMs), second.close(context.closeGraceMs)]);
    }
  },
};

/** The `nth` answer to `messageId` on `session`, or undefined if it does not come in time. */
async function answerOf(session: SubmitSession, messageId: string, nth: number, timeoutMs: number): Promise<SubmitResult | undefined> {
  await session.until(() => (session.answers.get(messageId)?.length ?? 0) >= nth, timeoutMs);
  return session.answers.get(messageId)?.[nth - 1];
}
