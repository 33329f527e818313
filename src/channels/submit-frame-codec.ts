import { SubmitRequest, type ProviderMessage } from '../gen/switchboard/provider/v1/provider.js';
import { toProviderChannel } from './provider-channel.js';
import type { OutboundMessage, SubmitOutcome } from './provider-connector.js';
import { WireReader } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

/**
 * The Submit stream's codec on the gateway side, hand-written because it runs for every message:
 * a frame of our OutboundMessages is encoded straight to the bytes of a SubmitRequest (no
 * ProviderMessage object per message, one reused scratch buffer), and a SubmitResponse is decoded
 * straight to message ids and SubmitOutcomes (no SubmitResult, oneof and Accepted objects per
 * answer). Field numbers are those of proto/switchboard/provider/v1/provider.proto; the unit test
 * checks both directions against the generated ts-proto code byte for byte.
 */

/** A SubmitResponse frame: `outcomes[i]` answers `messageIds[i]`. */
export interface SubmitAnswers {
  readonly messageIds: string[];
  readonly outcomes: SubmitOutcome[];
}

const writer = new WireWriter();

/** SubmitRequest { repeated ProviderMessage messages = 1 }, as ts-proto's encoder writes it. */
export function encodeSubmitFrame(messages: readonly OutboundMessage[]): Buffer {
  writer.reset(); // whatever a frame that failed to encode left
  for (const m of messages) {
    const channel = toProviderChannel(m.channel);
    // What the fast path does not cover (no such values today) goes through the generated encoder, which also throws where it throws.
    if (!(channel >= 0 && channel <= 0x7f) || !(Number.isSafeInteger(m.expiresAtMs) && m.expiresAtMs >= 0)) {
      writer.reset();
      return Buffer.from(SubmitRequest.encode({ messages: messages.map(toWireMessage) }).finish());
    }
    writer.uint32(10);
    const at = writer.fork();
    if (m.messageId !== '') stringField(10, m.messageId);
    if (channel !== 0) {
      writer.uint32(16);
      writer.uint32(channel);
    }
    if (m.recipient !== '') stringField(26, m.recipient);
    if (m.sender !== '') stringField(34, m.sender);
    if (m.subject !== '') stringField(42, m.subject);
    if (m.body !== '') stringField(50, m.body);
    const attributes = m.attributes;
    for (const key in attributes) {
      if (!Object.hasOwn(attributes, key)) continue;
      const value = attributes[key] as string;
      writer.uint32(58);
      const entry = writer.fork();
      if (key !== '') stringField(10, key);
      if (value !== '') stringField(18, value);
      writer.join(entry);
    }
    if (m.expiresAtMs !== 0) {
      writer.uint32(64);
      writer.uint53(m.expiresAtMs);
    }
    if (m.idempotencyKey !== '') stringField(74, m.idempotencyKey);
    writer.join(at);
  }
  return writer.finish();
}

function stringField(tag: number, value: string): void {
  writer.uint32(tag);
  writer.string(value);
}

/** The ProviderMessage the generated encoder takes for one of our messages. */
export function toWireMessage(message: OutboundMessage): ProviderMessage {
  return {
    messageId: message.messageId,
    channel: toProviderChannel(message.channel),
    recipient: message.recipient,
    sender: message.sender,
    subject: message.subject,
    body: message.body,
    attributes: message.attributes,
    expiresAtMs: message.expiresAtMs,
    idempotencyKey: message.idempotencyKey,
  };
}

/** SubmitResponse { repeated SubmitResult results = 1 }. Unknown fields are skipped. */
export function decodeSubmitAnswers(frame: Buffer): SubmitAnswers {
  const reader = new WireReader(frame);
  const messageIds: string[] = [];
  const outcomes: SubmitOutcome[] = [];
  const end = reader.end;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) {
      const resultEnd = reader.messageEnd();
      decodeResult(reader, resultEnd, messageIds, outcomes);
      reader.pos = resultEnd;
    } else if (tag === 0 || (tag & 7) === 4) {
      break;
    } else {
      reader.skip(tag & 7);
    }
  }
  return { messageIds, outcomes };
}

/** SubmitResult { string message_id = 1; oneof outcome { Accepted accepted = 2; Rejected rejected = 3; } }: the last outcome field wins. */
function decodeResult(reader: WireReader, end: number, messageIds: string[], outcomes: SubmitOutcome[]): void {
  let messageId = '';
  let outcome: SubmitOutcome | null = null;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) {
      messageId = reader.string();
    } else if (tag === 18) {
      const acceptedEnd = reader.messageEnd();
      outcome = decodeAccepted(reader, acceptedEnd);
      reader.pos = acceptedEnd;
    } else if (tag === 26) {
      const rejectedEnd = reader.messageEnd();
      outcome = decodeRejected(reader, rejectedEnd);
      reader.pos = rejectedEnd;
    } else if (tag === 0 || (tag & 7) === 4) {
      break;
    } else {
      reader.skip(tag & 7);
    }
  }
  messageIds.push(messageId);
  outcomes.push(outcome ?? { kind: 'rejected', code: 'PROTOCOL_ERROR', reason: 'provider answered without accepted or rejected', retryable: true });
}

/** Accepted { string provider_ref = 1 } */
function decodeAccepted(reader: WireReader, end: number): SubmitOutcome {
  let providerRef = '';
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) providerRef = reader.string();
    else if (tag === 0 || (tag & 7) === 4) break;
    else reader.skip(tag & 7);
  }
  return { kind: 'accepted', providerRef };
}

/** Rejected { string code = 1; string reason = 2; bool retryable = 3 } */
function decodeRejected(reader: WireReader, end: number): SubmitOutcome {
  let code = '';
  let reason = '';
  let retryable = false;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) code = reader.string();
    else if (tag === 18) reason = reader.string();
    else if (tag === 24) retryable = reader.bool();
    else if (tag === 0 || (tag & 7) === 4) break;
    else reader.skip(tag & 7);
  }
  return { kind: 'rejected', code, reason, retryable };
}
