import {
  ReportBatch,
  type DeliveryReport,
  type InboundMessage,
  type ProviderMessage,
  type SubmitRequest,
  type SubmitResponse,
} from '../gen/switchboard/provider/v1/provider.js';
import { WireReader } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

/**
 * The provider SDK's side of the Submit and Reports streams, hand-written like the gateway's
 * (submit-frame-codec, report-frame-codec) because it runs for every message a supplier takes and
 * reports on: a SubmitRequest is read with plain reads into the same ProviderMessage objects the
 * generated decoder builds, and SubmitResponse and ReportBatch frames are written into one reused
 * scratch buffer. In the bench's simulated supplier the generated codec was about a third of the
 * SDK's CPU per message. Field numbers are those of proto/switchboard/provider/v1/provider.proto;
 * the unit test checks every direction against the generated ts-proto code. What the fast paths do
 * not cover (negative enum values, timestamps outside the safe non-negative range) goes through the
 * generated encoders, which also throw where they throw.
 */

const writer = new WireWriter();

/** SubmitRequest { repeated ProviderMessage messages = 1 }, as the generated decoder reads it. Unknown fields are skipped. */
export function decodeSubmitRequest(frame: Buffer): SubmitRequest {
  const reader = new WireReader(frame);
  const messages: ProviderMessage[] = [];
  const end = reader.end;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) {
      const messageEnd = reader.messageEnd();
      messages.push(decodeProviderMessage(reader, messageEnd));
      reader.pos = messageEnd;
    } else if (tag === 0 || (tag & 7) === 4) {
      break;
    } else {
      reader.skip(tag & 7);
    }
  }
  return { messages };
}

/** ProviderMessage { message_id = 1; Channel channel = 2; recipient = 3; sender = 4; subject = 5; body = 6; map<string, string> attributes = 7; int64 expires_at_ms = 8; idempotency_key = 9 } */
function decodeProviderMessage(reader: WireReader, end: number): ProviderMessage {
  const message: ProviderMessage = { messageId: '', channel: 0, recipient: '', sender: '', subject: '', body: '', attributes: {}, expiresAtMs: 0, idempotencyKey: '' };
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) message.messageId = reader.string();
    else if (tag === 16) message.channel = reader.int32();
    else if (tag === 26) message.recipient = reader.string();
    else if (tag === 34) message.sender = reader.string();
    else if (tag === 42) message.subject = reader.string();
    else if (tag === 50) message.body = reader.string();
    else if (tag === 58) {
      const entryEnd = reader.messageEnd();
      readAttribute(reader, entryEnd, message.attributes);
      reader.pos = entryEnd;
    } else if (tag === 64) message.expiresAtMs = reader.int64();
    else if (tag === 74) message.idempotencyKey = reader.string();
    else if (tag === 0 || (tag & 7) === 4) break;
    else reader.skip(tag & 7);
  }
  return message;
}

/** A map entry { string key = 1; string value = 2 }, set on `attributes` as the generated decoder sets it. */
function readAttribute(reader: WireReader, end: number, attributes: Record<string, string>): void {
  let key = '';
  let value = '';
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) key = reader.string();
    else if (tag === 18) value = reader.string();
    else if (tag === 0 || (tag & 7) === 4) break;
    else reader.skip(tag & 7);
  }
  attributes[key] = value;
}

/** SubmitResponse { repeated SubmitResult results = 1 }, byte for byte as the generated encoder writes it. */
export function encodeSubmitResponse(response: SubmitResponse): Buffer {
  writer.reset(); // whatever a frame that failed to encode (a handler's malformed outcome) left
  for (const result of response.results) {
    writer.uint32(10);
    const at = writer.fork();
    if (result.messageId !== '') stringField(10, result.messageId);
    const outcome = result.outcome;
    if (outcome?.$case === 'accepted') {
      writer.uint32(18);
      const accepted = writer.fork();
      if (outcome.value.providerRef !== '') stringField(10, outcome.value.providerRef);
      writer.join(accepted);
    } else if (outcome?.$case === 'rejected') {
      const { code, reason, retryable } = outcome.value;
      writer.uint32(26);
      const rejected = writer.fork();
      if (code !== '') stringField(10, code);
      if (reason !== '') stringField(18, reason);
      if (retryable) {
        writer.uint32(24);
        writer.uint32(1);
      }
      writer.join(rejected);
    }
    writer.join(at);
  }
  return writer.finish();
}

/** ReportBatch { repeated ProviderReport reports = 1 }, byte for byte as the generated encoder writes it. */
export function encodeReportBatch(batch: ReportBatch): Buffer {
  writer.reset(); // as above
  for (const report of batch.reports) {
    const event = report.event;
    const fast = event?.$case === 'delivery' ? deliveryFits(event.value) : event?.$case === 'inbound' ? inboundFits(event.value) : true;
    if (!fast) {
      writer.reset();
      return Buffer.from(ReportBatch.encode(batch).finish());
    }
    writer.uint32(10);
    const at = writer.fork();
    if (report.reportId !== '') stringField(10, report.reportId);
    if (event?.$case === 'delivery') {
      writer.uint32(18);
      const delivery = writer.fork();
      writeDelivery(event.value);
      writer.join(delivery);
    } else if (event?.$case === 'inbound') {
      writer.uint32(26);
      const inbound = writer.fork();
      writeInbound(event.value);
      writer.join(inbound);
    }
    writer.join(at);
  }
  return writer.finish();
}

/** DeliveryReport { message_id = 1; provider_ref = 2; DeliveryState state = 3; code = 4; description = 5; int64 done_at_ms = 6 } */
function writeDelivery(d: DeliveryReport): void {
  if (d.messageId !== '') stringField(10, d.messageId);
  if (d.providerRef !== '') stringField(18, d.providerRef);
  if (d.state !== 0) {
    writer.uint32(24);
    writer.uint32(d.state);
  }
  if (d.code !== '') stringField(34, d.code);
  if (d.description !== '') stringField(42, d.description);
  if (d.doneAtMs !== 0) {
    writer.uint32(48);
    writer.uint53(d.doneAtMs);
  }
}

/** InboundMessage { Channel channel = 1; from = 2; to = 3; body = 4; in_reply_to_message_id = 5; int64 received_at_ms = 6 } */
function writeInbound(m: InboundMessage): void {
  if (m.channel !== 0) {
    writer.uint32(8);
    writer.uint32(m.channel);
  }
  if (m.from !== '') stringField(18, m.from);
  if (m.to !== '') stringField(26, m.to);
  if (m.body !== '') stringField(34, m.body);
  if (m.inReplyToMessageId !== '') stringField(42, m.inReplyToMessageId);
  if (m.receivedAtMs !== 0) {
    writer.uint32(48);
    writer.uint53(m.receivedAtMs);
  }
}

/** Enum values the writer's varint takes as they are, and timestamps it writes exactly. */
function deliveryFits(d: DeliveryReport): boolean {
  return isSmallEnum(d.state) && isTimestamp(d.doneAtMs);
}

function inboundFits(m: InboundMessage): boolean {
  return isSmallEnum(m.channel) && isTimestamp(m.receivedAtMs);
}

function isSmallEnum(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0x7fffffff;
}

function isTimestamp(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function stringField(tag: number, value: string): void {
  writer.uint32(tag);
  writer.string(value);
}
