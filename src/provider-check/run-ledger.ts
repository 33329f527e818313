import type { DeliveryReport, SubmitResult } from '../gen/switchboard/provider/v1/provider.js';

/** A delivery report as received, with the id of the report that carried it. */
export interface ReceivedDelivery {
  readonly reportId: string;
  readonly delivery: DeliveryReport;
}

/**
 * What one provider-check run has sent and seen, across all its checks and streams: the message
 * ids it submitted (all under one run prefix), how the provider answered them, and the delivery
 * reports that came back. The report checks judge reports against it.
 */
export interface RunLedger {
  /** Prefix of every message id of this run, so its reports can be told from anyone else's. */
  readonly prefix: string;
  noteSubmitted(messageId: string): void;
  noteAnswer(result: SubmitResult): void;
  noteDelivery(reportId: string, delivery: DeliveryReport): void;
  /** Message ids submitted in this run. */
  readonly submitted: ReadonlySet<string>;
  /** Provider ref of each accepted message (the first one given). */
  readonly accepted: ReadonlyMap<string, string>;
  /** Message ids the provider rejected (and never accepted). */
  readonly rejected: ReadonlySet<string>;
  /** Delivery reports that belong to this run: their message id has the run prefix, or their ref is one we were given. */
  readonly deliveries: readonly ReceivedDelivery[];
  /**
   * How many delivery reports belong to someone else (other message ids and refs): counted, not
   * judged. Moves to `deliveries` first those whose ref became known after they arrived.
   */
  foreignReports(): number;
}

export function createRunLedger(prefix: string): RunLedger {
  const submitted = new Set<string>();
  const accepted = new Map<string, string>();
  const rejected = new Set<string>();
  const refs = new Set<string>();
  const deliveries: ReceivedDelivery[] = [];
  const pendingForeign: ReceivedDelivery[] = [];
  return {
    prefix,
    submitted,
    accepted,
    rejected,
    deliveries,
    noteSubmitted: (messageId) => submitted.add(messageId),
    noteAnswer: (result) => {
      const outcome = result.outcome;
      if (outcome?.$case === 'accepted') {
        if (!accepted.has(result.messageId)) accepted.set(result.messageId, outcome.value.providerRef);
        refs.add(outcome.value.providerRef);
        rejected.delete(result.messageId);
      } else if (outcome?.$case === 'rejected' && !accepted.has(result.messageId)) {
        rejected.add(result.messageId);
      }
    },
    noteDelivery: (reportId, delivery) => {
      const received = { reportId, delivery };
      if (delivery.messageId.startsWith(prefix) || refs.has(delivery.providerRef)) deliveries.push(received);
      else pendingForeign.push(received);
    },
    // A report can come before the answer that gives its ref, so the doubtful ones are sorted late.
    foreignReports: () => {
      for (let i = pendingForeign.length - 1; i >= 0; i--) {
        const received = pendingForeign[i] as ReceivedDelivery;
        if (refs.has(received.delivery.providerRef)) {
          deliveries.push(received);
          pendingForeign.splice(i, 1);
        }
      }
      return pendingForeign.length;
    },
  };
}
