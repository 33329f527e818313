import type { DeliveryReceipt } from './smpp-receipt.js';
import { RecentMap } from './recent-map.js';

/** One submitted message, shared by the SMSC ids of all its segments. */
export interface TrackedMessage {
  readonly messageId: string;
  /** Segments without a DELIVRD receipt yet; -1 once a failure was reported. */
  undelivered: number;
}

/** One segment: `final` once a final receipt was counted, so a resent receipt is not counted twice. */
interface TrackedSegment {
  readonly message: TrackedMessage;
  final: boolean;
}

/** What a receipt means for our message. */
export type ReceiptVerdict =
  | { readonly kind: 'report'; readonly messageId: string }
  /** Nothing to record (an intermediate state, or one segment of several delivered): answer it at once. */
  | { readonly kind: 'ignore' };

/**
 * Maps the SMSC's message ids (one per submit_sm, so one per segment) back to our message ids,
 * for delivery receipts. Bounded: past `capacity` ids the oldest are forgotten, and their late
 * receipts are reported with messageId '' so the ingestor quarantines and counts them.
 *
 * A message of several segments is delivered when every segment is, and failed at the first
 * segment that fails.
 */
export class SmppReceiptTracker {
  private readonly byRef: RecentMap<TrackedSegment>;

  constructor(capacity: number) {
    this.byRef = new RecentMap(capacity);
  }

  /** Starts tracking a message that goes out in `segments` submit_sm PDUs; add each SMSC id as it is answered. */
  startMessage(messageId: string, segments: number): TrackedMessage {
    return { messageId, undelivered: segments };
  }

  /**
   * Remembers the SMSC id of one segment, as soon as its submit_sm_resp is read: the receipt of a
   * first segment can arrive before the last segment is answered.
   */
  addSegment(message: TrackedMessage, providerRef: string): void {
    this.byRef.set(providerRef, { message, final: false }); // the youngest, even if known
  }

  /**
   * Decides what a receipt means. Segments stay known after their final receipt (until evicted),
   * so a receipt the SMSC resends because our answer was lost maps to the message again.
   */
  onReceipt(receipt: DeliveryReceipt): ReceiptVerdict {
    if (receipt.state === null) return { kind: 'ignore' };
    const segment = this.byRef.get(receipt.providerRef);
    if (segment === undefined) return { kind: 'report', messageId: '' };
    const { message } = segment;
    if (receipt.state !== 'delivered') {
      segment.final = true;
      message.undelivered = -1;
      return { kind: 'report', messageId: message.messageId };
    }
    if (!segment.final && message.undelivered > 0) message.undelivered--;
    segment.final = true;
    return message.undelivered === 0 ? { kind: 'report', messageId: message.messageId } : { kind: 'ignore' };
  }

  /** Whether an SMSC id is tracked. */
  knows(providerRef: string): boolean {
    return this.byRef.has(providerRef);
  }

  get size(): number {
    return this.byRef.size;
  }
}
