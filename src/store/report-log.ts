import type { InboundEvent, StatusEvent } from '../domain/status-event.js';
import type { StoredReport } from './store.js';
import { Waiters } from './waiters.js';

/**
 * One tenant's retained reports in the memory store, a ring of the last `retention` reports. A
 * report is kept as the event that was recorded (not a copy) with its message's client_ref beside
 * it; the StoredReport a reader gets (cursor string, event with clientRef) is built only when it
 * is read, since most reports are never read, or read once.
 *
 *   events:     [ e(seq) at seq % retention ... ]   seq from firstSeq to nextSeq - 1
 *   clientRefs: [ its client_ref ('' for an inbound message), same positions ]
 *
 * The cursor of e(seq) is String(seq).
 */
export class ReportLog {
  private readonly events: (StatusEvent | InboundEvent)[] = [];
  private readonly clientRefs: string[] = [];
  /** Sequence number the next report gets. */
  nextSeq = 0;
  /** Woken by notify after appends; readers waiting for news wait here. */
  readonly waiters = new Waiters();

  constructor(
    readonly tenant: string,
    private readonly retention: number,
  ) {}

  /** Sequence number of the oldest retained report. */
  get firstSeq(): number {
    return Math.max(0, this.nextSeq - this.retention);
  }

  /** Appends a report, dropping the oldest past the retention; call waiters.notify() once the batch is in. */
  append(event: StatusEvent | InboundEvent, clientRef: string): void {
    const slot = this.nextSeq % this.retention;
    // The arrays grow until they hold `retention` reports; from then on the oldest is overwritten.
    if (slot === this.events.length) {
      this.events.push(event);
      this.clientRefs.push(clientRef);
    } else {
      this.events[slot] = event;
      this.clientRefs[slot] = clientRef;
    }
    this.nextSeq++;
  }

  /** Up to maxCount reports from sequence number fromSeq (at least firstSeq, below nextSeq). */
  read(fromSeq: number, maxCount: number): StoredReport[] {
    const end = Math.min(this.nextSeq, fromSeq + maxCount);
    const reports: StoredReport[] = [];
    for (let seq = fromSeq; seq < end; seq++) {
      const slot = seq % this.retention;
      const event = this.events[slot]!;
      const cursor = String(seq);
      reports.push('messageId' in event ? { cursor, status: withClientRef(event, this.clientRefs[slot]!), inbound: null } : { cursor, status: null, inbound: event });
    }
    return reports;
  }
}

/** The event with its message's client_ref; spelled out because a spread of events of several shapes is slow. */
function withClientRef(e: StatusEvent, clientRef: string): StatusEvent & { clientRef: string } {
  const event = {
    messageId: e.messageId,
    state: e.state,
    atMs: e.atMs,
    channel: e.channel,
    providerId: e.providerId,
    providerRef: e.providerRef,
    code: e.code,
    reason: e.reason,
    billableUnits: e.billableUnits,
    clientRef,
  };
  return e.why === undefined ? event : { ...event, why: e.why };
}
