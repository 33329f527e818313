import type { MessageState as DomainState } from '../domain/message-state.js';
import type { InboundEvent, StatusEvent as DomainEvent } from '../domain/status-event.js';
import {
  MessageState,
  type InboundMessage,
  type MessageStatus,
  type Report,
  type StatusEvent,
} from '../gen/switchboard/v1/gateway.js';
import type { StatusRecord, StoredReport } from '../store/store.js';
import { toGatewayChannel } from './gateway-channel.js';

const STATES: Record<DomainState, MessageState> = {
  accepted: MessageState.MESSAGE_STATE_ACCEPTED,
  routed: MessageState.MESSAGE_STATE_ROUTED,
  submitted: MessageState.MESSAGE_STATE_SUBMITTED,
  delivered: MessageState.MESSAGE_STATE_DELIVERED,
  failed: MessageState.MESSAGE_STATE_FAILED,
  expired: MessageState.MESSAGE_STATE_EXPIRED,
  rejected: MessageState.MESSAGE_STATE_REJECTED,
  fallback: MessageState.MESSAGE_STATE_FALLBACK,
  cancelled: MessageState.MESSAGE_STATE_CANCELLED,
  deferred: MessageState.MESSAGE_STATE_DEFERRED,
};

export function toWireEvent(event: DomainEvent, clientRef: string): StatusEvent {
  return {
    messageId: event.messageId,
    clientRef,
    state: STATES[event.state],
    atMs: event.atMs,
    channel: toGatewayChannel(event.channel),
    providerId: event.providerId,
    providerRef: event.providerRef,
    code: event.code,
    reason: event.reason,
    billableUnits: event.billableUnits ?? 0,
    why: event.why ?? '',
  };
}

export function toWireStatus(record: StatusRecord): MessageStatus {
  return {
    messageId: record.messageId,
    clientRef: record.clientRef,
    state: STATES[record.state],
    history: record.history.map((e) => toWireEvent(e, record.clientRef)),
    tags: [...record.tags],
  };
}

function toWireInbound(event: InboundEvent): InboundMessage {
  return {
    providerId: event.providerId,
    channel: toGatewayChannel(event.channel),
    from: event.from,
    to: event.to,
    body: event.body,
    inReplyToMessageId: event.inReplyToMessageId,
    receivedAtMs: event.receivedAtMs,
  };
}

export function toWireReport(report: StoredReport): Report {
  if (report.status !== null) return { cursor: report.cursor, event: { $case: 'status', value: toWireEvent(report.status, report.status.clientRef) } };
  if (report.inbound !== null) return { cursor: report.cursor, event: { $case: 'inbound', value: toWireInbound(report.inbound) } };
  return { cursor: report.cursor, event: undefined };
}
