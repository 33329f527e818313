import { fail, pass, type Check } from '../check.js';
import { listSome } from '../check-context.js';
import type { ReportSession } from '../report-session.js';

const MESSAGES = 3;

/**
 * Reports not acked are written again on the next Reports stream; acked ones are not
 * (provider.proto, ChannelProvider.Reports). Receives the reports of fresh messages without
 * acking them, reconnects and waits for the same report_ids; acks them there, reconnects again
 * and watches that they stay away.
 */
export const resendCheck: Check = {
  name: 'resend',
  summary: 'unacked reports come again after a reconnect; acked ones do not',
  async run(context) {
    const timeoutMs = context.settings.timeoutMs;
    const submit = context.openSubmit();
    const messages = Array.from({ length: MESSAGES }, () => context.message('resend'));
    try {
      await submit.write(messages);
      await submit.allAnswered(timeoutMs);
    } finally {
      await submit.close(context.closeGraceMs);
    }
    const ids = messages.map((m) => m.messageId).filter((id) => context.ledger.accepted.has(id));
    if (ids.length === 0) return fail('the provider accepted none of the messages, so there are no reports to test resending with');

    // 1. Receive their reports, ack nothing, disconnect.
    const reportIdsOf = (session: ReportSession): string[] =>
      session.reports.flatMap((r) => (r.event?.$case === 'delivery' && ids.includes(r.event.value.messageId) ? [r.reportId] : []));
    const first = context.openReports(false);
    let unacked: string[];
    try {
      if (!(await first.until(() => new Set(reportIdsOf(first)).size >= ids.length, timeoutMs)) && reportIdsOf(first).length === 0) {
        return fail(`no delivery report for the ${ids.length} accepted messages came within ${timeoutMs} ms, so resending cannot be tested`);
      }
      unacked = [...new Set(reportIdsOf(first))];
    } finally {
      await first.close(context.closeGraceMs);
    }

    // 2. Reconnect: they must come again; ack them here, and whatever else comes.
    const second = context.openReports(false);
    try {
      const back = await second.until(() => unacked.every((id) => second.seen.has(id)), timeoutMs);
      second.ack([...second.seen]);
      if (!back) {
        const lost = unacked.filter((id) => !second.seen.has(id));
        return fail(`after a reconnect without acks, ${lost.length} of ${unacked.length} reports were not sent again within ${timeoutMs} ms (${listSome(lost)}); a provider must keep a report until it is acked`);
      }
    } finally {
      await second.close(context.closeGraceMs);
    }

    // 3. Reconnect again: acked reports must stay away.
    const third = context.openReports(true);
    try {
      await third.until(() => unacked.some((id) => third.seen.has(id)), context.settleMs * 2);
      const again = unacked.filter((id) => third.seen.has(id));
      if (again.length > 0) return fail(`${again.length} reports acked on the previous stream were sent again (${listSome(again)}); acked reports must be forgotten`);
    } finally {
      await third.close(context.closeGraceMs);
    }
    return pass(`${unacked.length} unacked reports came again after a reconnect, and not after being acked`);
  },
};
