import { checkVariable } from '../config/variable-types.js';
import type { Config, Tenant } from '../config/config.js';
import type { ChannelName } from '../domain/channel.js';
import type { AcceptedMessage, MessageKind, MessagePriority } from '../domain/message.js';
import { Channel, MessageKind as WireKind, Priority, RejectReason, type Message } from '../gen/switchboard/v1/gateway.js';
import { fromGatewayChannel } from './gateway-channel.js';
import { normalizePhoneNumber } from './phone-number.js';

/** A message the gateway refuses, with a stable reason code and a sentence naming the field. */
export interface Rejection {
  readonly reason: RejectReason;
  readonly detail: string;
}

export type ValidationResult = { ok: true; message: AcceptedMessage } | { ok: false; rejection: Rejection };

const CLIENT_REF = /^[A-Za-z0-9_:.-]{1,128}$/;
/** C0 controls other than tab, newline and carriage return, and DEL. */
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** Either of the two above: one scan finds the common case, text with neither. */
const BAD_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\uFFFD]/;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units). */
const MAX_UTF8_BYTES_PER_UNIT = 3;
/** Tags are one-line labels: unlike a body, no tab or line break either. */
const TAG_CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const MAX_TAGS = 16;
const MAX_TAG_LENGTH = 64;

const PRIORITIES: Partial<Record<Priority, MessagePriority>> = {
  [Priority.PRIORITY_UNSPECIFIED]: 'normal',
  [Priority.PRIORITY_URGENT]: 'urgent',
  [Priority.PRIORITY_NORMAL]: 'normal',
  [Priority.PRIORITY_BULK]: 'bulk',
};
const KINDS: Partial<Record<WireKind, MessageKind>> = {
  [WireKind.MESSAGE_KIND_UNSPECIFIED]: 'informational',
  [WireKind.MESSAGE_KIND_INFORMATIONAL]: 'informational',
  [WireKind.MESSAGE_KIND_ADVERTISING]: 'advertising',
};

function reject(reason: RejectReason, detail: string): ValidationResult {
  return { ok: false, rejection: { reason, detail } };
}

/** Text the gateway refuses: U+FFFD (what invalid UTF-8 decodes to) or control characters. */
function badTextIn(value: string): string | null {
  if (!BAD_TEXT.test(value)) return null;
  if (value.includes('\uFFFD')) return 'contains invalid UTF-8';
  if (CONTROL_CHARS.test(value)) return 'contains control characters';
  return null;
}

/** The UTF-8 size of `value` when it may be over `limit` bytes; 0 when it cannot be (no need to count). */
function utf8BytesOver(value: string, limit: number): number {
  if (value.length * MAX_UTF8_BYTES_PER_UNIT <= limit) return 0;
  const bytes = Buffer.byteLength(value, 'utf8');
  return bytes > limit ? bytes : 0;
}

/** The rejection of a content field with bad text or over `limit` bytes, or null when it is fine. */
function checkContentText(field: string, value: string, limit: number): ValidationResult | null {
  const bad = badTextIn(value);
  if (bad !== null) return reject(RejectReason.REJECT_REASON_INVALID_TEXT, `${field} ${bad}`);
  const bytes = utf8BytesOver(value, limit);
  if (bytes > 0) return reject(RejectReason.REJECT_REASON_TOO_LARGE, `${field} is ${bytes} bytes; the limit is ${limit}`);
  return null;
}

/**
 * Checks one message from the wire against the tenant and the config and, if it passes, builds
 * the AcceptedMessage the store keeps. The checks run before anything is stored, so a message
 * that would fail to render (unknown template, missing variable) is refused at the door.
 */
export function validateMessage(
  wire: Message | undefined,
  tenant: Tenant,
  config: Config,
  messageId: string,
  nowMs: number,
): ValidationResult {
  if (wire === undefined) return reject(RejectReason.REJECT_REASON_MISSING_FIELD, 'message is required');
  const { limits } = config;

  if (wire.clientRef !== '' && !CLIENT_REF.test(wire.clientRef)) {
    return reject(RejectReason.REJECT_REASON_INVALID_CLIENT_REF, `client_ref must match ${CLIENT_REF.source}`);
  }

  if (wire.recipient === '') return reject(RejectReason.REJECT_REASON_MISSING_FIELD, 'recipient is required');
  const phone = normalizePhoneNumber(wire.recipient, tenant.allowInternational);
  if (!phone.ok) return reject(RejectReason.REJECT_REASON_INVALID_RECIPIENT, `recipient ${JSON.stringify(wire.recipient)} ${phone.why}`);

  let sender = tenant.senderNumbers[0] ?? '';
  if (wire.sender !== '') {
    sender = wire.sender.replace(/-/g, '');
    if (!tenant.senderNumbers.includes(sender)) {
      return reject(
        RejectReason.REJECT_REASON_INVALID_SENDER,
        `sender ${JSON.stringify(wire.sender)} is not a registered sender number of tenant "${tenant.id}"`,
      );
    }
  }

  const kind = KINDS[wire.kind];
  if (kind === undefined) return reject(RejectReason.REJECT_REASON_INVALID_ARGUMENT, `kind ${wire.kind} is not a valid MessageKind`);
  const priority = PRIORITIES[wire.priority];
  if (priority === undefined) return reject(RejectReason.REJECT_REASON_INVALID_ARGUMENT, `priority ${wire.priority} is not a valid Priority`);
  let channel: ChannelName | null = null;
  if (wire.channel !== Channel.CHANNEL_UNSPECIFIED) {
    channel = fromGatewayChannel(wire.channel) ?? null;
    if (channel === null) return reject(RejectReason.REJECT_REASON_INVALID_ARGUMENT, `channel ${wire.channel} is not a valid Channel`);
  }
  if (wire.ttlMs > limits.maxTtlMs) {
    return reject(RejectReason.REJECT_REASON_INVALID_ARGUMENT, `ttl_ms ${wire.ttlMs} is longer than the limit of ${limits.maxTtlMs} ms`);
  }
  if (wire.tags.length > MAX_TAGS) return reject(RejectReason.REJECT_REASON_INVALID_ARGUMENT, `tags has ${wire.tags.length} entries; the limit is ${MAX_TAGS}`);
  for (let i = 0; i < wire.tags.length; i++) {
    const tag = wire.tags[i] ?? '';
    if (tag.length === 0 || tag.length > MAX_TAG_LENGTH || badTextIn(tag) !== null || TAG_CONTROL_CHARS.test(tag)) {
      return reject(RejectReason.REJECT_REASON_INVALID_ARGUMENT, `tags[${i}] must be 1 to ${MAX_TAG_LENGTH} printable characters`);
    }
  }

  const content = wire.content;
  let body = '';
  let subject = '';
  if (wire.templateId !== '' && content !== undefined) {
    return reject(RejectReason.REJECT_REASON_INVALID_ARGUMENT, 'set either template_id or content, not both');
  }
  if (wire.templateId === '') {
    if (content === undefined) return reject(RejectReason.REJECT_REASON_MISSING_FIELD, 'template_id or content is required');
    if (content.body === '') return reject(RejectReason.REJECT_REASON_MISSING_FIELD, 'content.body is required');
    const [stray] = Object.keys(wire.variables);
    if (stray !== undefined) {
      return reject(RejectReason.REJECT_REASON_INVALID_ARGUMENT, `variables.${stray} is given but the message has no template_id; variables apply only to templates`);
    }
    const badBody = checkContentText('content.body', content.body, limits.maxBodyBytes) ?? checkContentText('content.subject', content.subject, limits.maxBodyBytes);
    if (badBody !== null) return badBody;
    body = content.body;
    subject = content.subject;
  } else {
    const template = config.routing.templates[wire.templateId];
    if (template === undefined) {
      return reject(RejectReason.REJECT_REASON_UNKNOWN_TEMPLATE, `template_id ${JSON.stringify(wire.templateId)} is not a configured template`);
    }
    for (const name of template.variables) {
      // Own keys only: "toString" or "constructor" must not count as given through the prototype.
      if (!Object.hasOwn(wire.variables, name)) {
        return reject(RejectReason.REJECT_REASON_MISSING_VARIABLE, `variables.${name} is required by template "${template.id}"`);
      }
    }
    for (const name in wire.variables) {
      if (!Object.hasOwn(wire.variables, name)) continue;
      const value = wire.variables[name] as string;
      if (!template.variables.includes(name)) {
        return reject(
          RejectReason.REJECT_REASON_UNKNOWN_VARIABLE,
          `variables.${name} is not a variable of template "${template.id}" (it takes: ${template.variables.join(', ') || 'none'})`,
        );
      }
      const bad = badTextIn(value);
      if (bad !== null) return reject(RejectReason.REJECT_REASON_INVALID_TEXT, `variables.${name} ${bad}`);
      const mistyped = checkVariable(template.variableTypes[name] ?? 'string', value);
      if (mistyped !== null) return reject(RejectReason.REJECT_REASON_INVALID_ARGUMENT, `variables.${name} of template "${template.id}" ${mistyped}`);
      const bytes = utf8BytesOver(value, limits.maxVariableBytes);
      if (bytes > 0) {
        return reject(RejectReason.REJECT_REASON_TOO_LARGE, `variables.${name} is ${bytes} bytes; the limit is ${limits.maxVariableBytes}`);
      }
    }
  }

  const ttlMs = wire.ttlMs === 0 ? limits.defaultTtlMs : wire.ttlMs;
  return {
    ok: true,
    message: {
      messageId,
      tenant: tenant.id,
      clientRef: wire.clientRef,
      recipient: phone.e164,
      sender,
      templateId: wire.templateId,
      variables: wire.variables,
      body,
      subject,
      kind,
      nightConsent: wire.nightConsent,
      priority,
      channel,
      acceptedAtMs: nowMs,
      expiresAtMs: nowMs + ttlMs,
      tags: wire.tags,
    },
  };
}
