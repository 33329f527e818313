import type { AcceptedMessage } from './message.js';
import { shortDigest } from './short-digest.js';

/**
 * What a repeated client_ref is compared by (RELIABILITY D7). The same reference with the same
 * fingerprint is a retry of the message accepted first: acked as its duplicate. With another
 * fingerprint it is a different message under a reused reference: refused, since dropping it as a
 * "duplicate" would lose it without anyone knowing (a card-cancellation alert sent with the
 * approval's reference would never go out).
 *
 * Covered: what is sent to whom, as accepted (recipient in E.164, so "010-..." and "+8210..." are
 * the same), sender, template and variables or body and subject, kind, preferred channel and night
 * consent. Not covered: priority, TTL and tags, which say how a message is handled, not what it is;
 * a client may change them on a retry.
 *
 * 128 bits of SHA-256 over the fields as a JSON array, base64url (22 characters). Computed only
 * for messages with a client_ref.
 */
export function clientRefFingerprint(message: AcceptedMessage): string {
  return shortDigest(JSON.stringify(contentFields(message)));
}

/** What a message is, in a fixed order: the fields the fingerprint covers (variables sorted by name). */
export function contentFields(message: AcceptedMessage): unknown[] {
  const names = Object.keys(message.variables).sort();
  const variables = names.map((name) => [name, message.variables[name]]);
  return [message.recipient, message.sender, message.templateId, variables, message.body, message.subject, message.kind, message.channel, message.nightConsent];
}
