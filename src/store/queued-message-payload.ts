import type { ChannelName } from '../domain/channel.js';
import type { AcceptedMessage, FallbackStep, MessageKind, MessagePriority, TriedProviders } from '../domain/message.js';

/**
 * How the Redis store writes an accepted message into its queue stream: its fields joined by
 * U+001E, the scalar texts as they are and the structured ones (variables, tags, fallback, tried
 * providers) as JSON, instead of one JSON object. Claiming splits it instead of JSON.parse over
 * the whole message (Korean text makes that a slow two-byte parse), and the entry is a third
 * smaller in Redis. Text cannot hold U+001E or U+001F (the gateway refuses control characters),
 * but a message whose text holds one anyway is written as JSON (which escapes them); payloads starting with "{" (JSON, as
 * earlier versions wrote them) are read as before.
 */

const FIELD = '\x1e';
/**
 * A separator, or the enqueue script's own (U+001F, redis-scripts.ts: the payload travels inside
 * its packed argument). Only the fields written as they are can hold one: JSON escapes both.
 */
const SEPARATOR = /[\x1e\x1f]/;

/** Every field of AcceptedMessage; the check below fails the build when a field is added and not encoded. */
const ENCODED = ['messageId', 'tenant', 'clientRef', 'recipient', 'sender', 'templateId', 'body', 'subject', 'kind', 'nightConsent', 'priority', 'channel', 'acceptedAtMs', 'expiresAtMs', 'variables', 'tags', 'fallback', 'triedProviders'] as const;
type Unencoded = Exclude<keyof AcceptedMessage, (typeof ENCODED)[number]>;
const everyFieldEncoded: [Unencoded] extends [never] ? true : Unencoded = true;
void everyFieldEncoded;

/**
 * The payload of `m`, stored under `messageId` (the store's id, which may differ from the id the
 * message came with: the enqueue gives it its shard without copying the message).
 */
export function encodeQueuedMessage(m: AcceptedMessage, messageId: string = m.messageId): string {
  // Enum fields (kind, priority, channel) and numbers cannot hold a separator; the texts are checked one by one.
  if (
    SEPARATOR.test(messageId) ||
    SEPARATOR.test(m.tenant) ||
    SEPARATOR.test(m.clientRef) ||
    SEPARATOR.test(m.recipient) ||
    SEPARATOR.test(m.sender) ||
    SEPARATOR.test(m.templateId) ||
    SEPARATOR.test(m.body) ||
    SEPARATOR.test(m.subject)
  ) {
    return JSON.stringify(messageId === m.messageId ? m : { ...m, messageId });
  }
  return (
    `${messageId}${FIELD}${m.tenant}${FIELD}${m.clientRef}${FIELD}${m.recipient}${FIELD}${m.sender}${FIELD}${m.templateId}${FIELD}` +
    `${m.body}${FIELD}${m.subject}${FIELD}${m.kind}${FIELD}${m.nightConsent ? '1' : ''}${FIELD}${m.priority}${FIELD}${m.channel ?? ''}${FIELD}` +
    `${m.acceptedAtMs}${FIELD}${m.expiresAtMs}${FIELD}${JSON.stringify(m.variables)}${FIELD}${tagsJson(m.tags)}${FIELD}` +
    `${m.fallback === undefined && m.triedProviders === undefined ? '' : JSON.stringify({ fallback: m.fallback, triedProviders: m.triedProviders })}`
  );
}

/** Tags as JSON; most messages have none. */
export function tagsJson(tags: readonly string[]): string {
  return tags.length === 0 ? '[]' : JSON.stringify(tags);
}

export function decodeQueuedMessage(payload: string): AcceptedMessage {
  if (payload.startsWith('{')) return JSON.parse(payload) as AcceptedMessage;
  const f = payload.split(FIELD);
  const channel = f[11] as string;
  const message: AcceptedMessage = {
    messageId: f[0] as string,
    tenant: f[1] as string,
    clientRef: f[2] as string,
    recipient: f[3] as string,
    sender: f[4] as string,
    templateId: f[5] as string,
    body: f[6] as string,
    subject: f[7] as string,
    kind: f[8] as MessageKind,
    nightConsent: f[9] === '1',
    priority: f[10] as MessagePriority,
    channel: channel === '' ? null : (channel as ChannelName),
    acceptedAtMs: Number(f[12]),
    expiresAtMs: Number(f[13]),
    variables: JSON.parse(f[14] as string) as Record<string, string>,
    tags: f[15] === '[]' ? [] : (JSON.parse(f[15] as string) as string[]),
  };
  const extra = f[16] as string;
  if (extra !== '') {
    const { fallback, triedProviders } = JSON.parse(extra) as { fallback?: FallbackStep; triedProviders?: TriedProviders };
    if (fallback !== undefined) message.fallback = fallback;
    if (triedProviders !== undefined) message.triedProviders = triedProviders;
  }
  return message;
}
