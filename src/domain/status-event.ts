import type { ChannelName } from './channel.js';
import type { MessageState } from './message-state.js';

/** One transition of one message, as recorded in its status history and its tenant's report stream. */
export interface StatusEvent {
  messageId: string;
  state: MessageState;
  atMs: number;
  channel: ChannelName | null;
  /** '' until routed. */
  providerId: string;
  /** '' until submitted. */
  providerRef: string;
  /** Machine-readable failure code; '' otherwise. */
  code: string;
  reason: string;
  /** What the supplier bills on this channel; 0 until routed. */
  billableUnits: number;
  /**
   * Why the message took this channel and supplier (the route matched, the fallback step, the
   * supplier choice); set on ROUTED and FALLBACK, and on SUBMITTED after a failover to another
   * supplier; absent (or '') otherwise.
   */
  why?: string;
}

/** A message a recipient sent back, attributed to a tenant. */
export interface InboundEvent {
  tenant: string;
  providerId: string;
  channel: ChannelName | null;
  from: string;
  to: string;
  body: string;
  inReplyToMessageId: string;
  receivedAtMs: number;
}

/** The first event of every message: ACCEPTED at the time the gateway acknowledged it. */
export function acceptedEvent(messageId: string, acceptedAtMs: number): StatusEvent {
  return {
    messageId,
    state: 'accepted',
    atMs: acceptedAtMs,
    channel: null,
    providerId: '',
    providerRef: '',
    code: '',
    reason: '',
    billableUnits: 0,
  };
}
