import type { ChannelName } from './channel.js';
import { contentFields } from './client-ref-fingerprint.js';
import type { AcceptedMessage } from './message.js';
import { shortDigest } from './short-digest.js';

/**
 * ProviderMessage.idempotency_key (RELIABILITY E2: after a DR replay, duplicates share keys). A DR
 * switchover loses what the standby's Redis had not yet received; the upstream system replays its
 * recent sends by client_ref, and the standby gives those it never heard of new message ids. Some
 * of them the lost site had already submitted, so a supplier gets them twice under two ids. This
 * key is the same for both, so the supplier can tell.
 *
 * Derived from what the sender means as one send: the tenant, its client_ref, the message's
 * content (as the client_ref fingerprint covers it: a reference reused for other content gets
 * another key) and the channel it is routed to (a fallback from AlimTalk to LMS is a new send on
 * the same supplier, not a repeat). 128 bits of SHA-256, base64url (22 characters): it names
 * neither the reference nor the recipient. '' for a message without a client_ref, whose
 * message_id is then its only key.
 */
export function supplierIdempotencyKey(message: AcceptedMessage, channel: ChannelName): string {
  if (message.clientRef === '') return '';
  const fields = ['switchboard-idempotency-v1', message.tenant, message.clientRef, channel, contentFields(message)];
  return shortDigest(JSON.stringify(fields));
}
