import type { Config, Tenant } from '../config/config.js';
import type { AcceptedMessage } from '../domain/message.js';
import { RejectReason, type Ack, type Message } from '../gen/switchboard/v1/gateway.js';
import { log } from '../log.js';
import { StoreFullError } from '../store/store-errors.js';
import type { MessageStore } from '../store/store.js';
import { validateMessage } from './validate-message.js';

/** What accepting messages needs from the node. */
export interface AcceptDeps {
  readonly store: MessageStore;
  readonly newMessageId: () => string;
  readonly now: () => number;
}

/**
 * Validates a batch of wire messages, stores the valid ones in one store call, and returns one ack
 * per message in the same order. Only messages the store confirmed are acked as accepted.
 */
export async function acceptBatch(messages: readonly Message[], tenant: Tenant, config: Config, deps: AcceptDeps): Promise<Ack[]> {
  const nowMs = deps.now();
  const acks: Ack[] = new Array(messages.length);
  const valid: AcceptedMessage[] = [];
  const validIndexes: number[] = [];
  for (let i = 0; i < messages.length; i++) {
    const wire = messages[i];
    const clientRef = wire?.clientRef ?? '';
    const result = validateMessage(wire, tenant, config, deps.newMessageId(), nowMs);
    if (result.ok) {
      valid.push(result.message);
      validIndexes.push(i);
      continue;
    }
    acks[i] = rejectedAck(i, clientRef, result.rejection.reason, result.rejection.detail);
  }
  if (valid.length === 0) return acks;

  let outcomes;
  try {
    outcomes = await deps.store.enqueue(valid);
  } catch (error) {
    log('warn', 'store refused a batch', { tenant: tenant.id, count: valid.length, error: (error as Error).message });
    const full = error instanceof StoreFullError;
    const reason = full ? RejectReason.REJECT_REASON_QUEUE_FULL : RejectReason.REJECT_REASON_STORE_UNAVAILABLE;
    const detail = full
      ? 'the message store is full; nothing was stored, retry later with the same client_ref'
      : 'the message store is unavailable; the message may not be stored, retry with the same client_ref';
    for (let j = 0; j < valid.length; j++) {
      const i = validIndexes[j] as number;
      acks[i] = rejectedAck(i, valid[j]?.clientRef ?? '', reason, detail);
    }
    return acks;
  }
  for (let j = 0; j < valid.length; j++) {
    const i = validIndexes[j] as number;
    const clientRef = valid[j]?.clientRef ?? '';
    const outcome = outcomes[j];
    if (outcome === undefined || outcome.kind === 'queue-full') {
      acks[i] = rejectedAck(i, clientRef, RejectReason.REJECT_REASON_QUEUE_FULL, 'the gateway queue is full; retry later with the same client_ref');
    } else if (outcome.kind === 'conflict') {
      const detail = `client_ref "${clientRef}" was already used for message ${outcome.messageId}, which differs from this one in recipient, sender, content, kind, channel or night consent; nothing was stored (a new message needs a new client_ref)`;
      acks[i] = rejectedAck(i, clientRef, RejectReason.REJECT_REASON_CLIENT_REF_CONFLICT, detail);
    } else {
      acks[i] = {
        index: i,
        clientRef,
        messageId: outcome.messageId,
        accepted: true,
        duplicate: outcome.kind === 'duplicate',
        reason: RejectReason.REJECT_REASON_UNSPECIFIED,
        detail: '',
      };
    }
  }
  return acks;
}

function rejectedAck(index: number, clientRef: string, reason: RejectReason, detail: string): Ack {
  return { index, clientRef, messageId: '', accepted: false, duplicate: false, reason, detail };
}
