import { DeliveryState } from '../../gen/switchboard/provider/v1/provider.js';
import { fail, pass, type Check } from '../check.js';
import { listSome } from '../check-context.js';

/** Messages this check submits itself, so it has some even when earlier checks failed. */
const OWN_MESSAGES = 5;
const FINAL_STATES = new Set([DeliveryState.DELIVERY_STATE_DELIVERED, DeliveryState.DELIVERY_STATE_FAILED, DeliveryState.DELIVERY_STATE_EXPIRED]);

/**
 * Every message the provider accepted in this run gets a delivery report on Reports (acked as it
 * arrives), naming a message_id that was submitted, the provider_ref given for it, and a final state.
 */
export const reportsCheck: Check = {
  name: 'reports',
  summary: 'every accepted message gets a delivery report with its message_id and provider_ref',
  async run(context) {
    const { ledger } = context;
    const timeoutMs = context.settings.timeoutMs;
    const submit = context.openSubmit();
    try {
      await submit.write(Array.from({ length: OWN_MESSAGES }, () => context.message('report')));
      await submit.allAnswered(timeoutMs);
    } finally {
      await submit.close(context.closeGraceMs);
    }
    if (ledger.accepted.size === 0) return fail('the provider accepted no message in this run, so there is nothing to report on');

    const reportedIds = (): Set<string> => new Set(ledger.deliveries.map((d) => d.delivery.messageId));
    const unreported = (): string[] => [...ledger.accepted.keys()].filter((id) => !reportedIds().has(id));
    const reports = context.openReports(true);
    try {
      // Wait while reports keep coming: the timeout is for a pause, not for all of them.
      for (let before = -1; unreported().length > 0 && ledger.deliveries.length > before; ) {
        before = ledger.deliveries.length;
        await reports.until(() => unreported().length === 0 || ledger.deliveries.length > before, timeoutMs);
      }
      await reports.until(() => false, context.settleMs);
    } finally {
      await reports.close(context.closeGraceMs);
    }

    const foreign = ledger.foreignReports();
    const problems: string[] = [];
    const missing = unreported();
    if (missing.length > 0) {
      problems.push(`${missing.length} of ${ledger.accepted.size} accepted messages got no delivery report (none came for ${timeoutMs} ms): ${listSome(missing)}`);
    }
    const wrong: string[] = [];
    for (const { reportId, delivery } of ledger.deliveries) {
      const ref = ledger.accepted.get(delivery.messageId);
      const id = JSON.stringify(delivery.messageId);
      if (reportId === '') wrong.push(`a report for ${id} has an empty report_id`);
      else if (!ledger.submitted.has(delivery.messageId)) wrong.push(`report ${reportId} names message_id ${id}, never submitted`);
      else if (ref === undefined) wrong.push(`report ${reportId} is for ${id}, which the provider rejected`);
      else if (delivery.providerRef !== ref) wrong.push(`report ${reportId} for ${id} has provider_ref ${JSON.stringify(delivery.providerRef)}, but it was accepted as ${JSON.stringify(ref)}`);
      else if (!FINAL_STATES.has(delivery.state)) wrong.push(`report ${reportId} for ${id} has no final state (${DeliveryState[delivery.state] ?? delivery.state})`);
      else if (delivery.state !== DeliveryState.DELIVERY_STATE_DELIVERED && delivery.code.trim() === '') wrong.push(`report ${reportId} for ${id} is ${DeliveryState[delivery.state]} without a code`);
    }
    if (wrong.length > 0) problems.push(`${wrong.length} reports are wrong: ${listSome(wrong, 2)}`);
    if (problems.length > 0) return fail(problems.join('; '));
    return pass(`${ledger.accepted.size} accepted messages, ${ledger.deliveries.length} delivery reports, all matching${foreign > 0 ? ` (${foreign} other reports ignored)` : ''}`);
  },
};
