import { DeliveryState as WireDeliveryState } from '../gen/switchboard/provider/v1/provider.js';
import { fromProviderChannel } from './provider-channel.js';
import type { DeliveryState, ProviderReport } from './provider-connector.js';
import { WireReader } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

/**
 * The Reports stream's codec on the gateway side, hand-written because it runs for every report:
 * a ReportBatch is decoded straight to our ProviderReports (no ProviderReport, oneof and
 * DeliveryReport objects per report first), and the ReportAck that will ack the frame is built
 * at the same time from the frame's own bytes. Field numbers are those of
 * proto/switchboard/provider/v1/provider.proto; the unit test checks both directions against the
 * generated ts-proto code.
 */

/** A ReportBatch frame: the reports to store, and the ReportAck to write once they are stored. */
export interface ReportFrame {
  /** Without reports that carry no event or an unknown delivery state: nothing to apply, but acked all the same. */
  readonly reports: ProviderReport[];
  /** The encoded ReportAck of every report id in the frame, in order. */
  readonly ack: Buffer;
}

const ackWriter = new WireWriter();

/**
 * ReportBatch { repeated ProviderReport reports = 1 }. Unknown fields are skipped.
 *
 * ReportAck { repeated string report_ids = 1 } repeats each report's `string report_id = 1` field,
 * and a report carries that field with the same tag and bytes, so the ack is those fields copied
 * from the frame: no string to encode again per report (it is byte for byte what ts-proto writes).
 */
export function decodeReportFrame(frame: Buffer): ReportFrame {
  ackWriter.reset(); // whatever a frame that failed to decode left
  const reader = new WireReader(frame);
  const reports: ProviderReport[] = [];
  const end = reader.end;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) {
      const reportEnd = reader.messageEnd();
      decodeReport(reader, reportEnd, reports);
      reader.pos = reportEnd;
    } else if (tag === 0 || (tag & 7) === 4) {
      break;
    } else {
      reader.skip(tag & 7);
    }
  }
  return { reports, ack: ackWriter.finish() };
}

type Delivery = NonNullable<ProviderReport['delivery']>;
type Inbound = NonNullable<ProviderReport['inbound']>;

/** ProviderReport { string report_id = 1; oneof event { DeliveryReport delivery = 2; InboundMessage inbound = 3; } }: the last event field wins. */
function decodeReport(reader: WireReader, end: number, reports: ProviderReport[]): void {
  let reportId = '';
  let idFieldStart = 0;
  let idFieldEnd = 0;
  let delivery: Delivery | null = null;
  let inbound: Inbound | null = null;
  while (reader.pos < end) {
    const tagStart = reader.pos;
    const tag = reader.uint32();
    if (tag === 10) {
      reportId = reader.string();
      idFieldStart = tagStart;
      idFieldEnd = reader.pos;
    } else if (tag === 18) {
      const deliveryEnd = reader.messageEnd();
      delivery = decodeDelivery(reader, deliveryEnd);
      inbound = null;
      reader.pos = deliveryEnd;
    } else if (tag === 26) {
      const inboundEnd = reader.messageEnd();
      inbound = decodeInbound(reader, inboundEnd);
      delivery = null;
      reader.pos = inboundEnd;
    } else if (tag === 0 || (tag & 7) === 4) {
      break;
    } else {
      reader.skip(tag & 7);
    }
  }
  // The ack names every report, '' for one without an id (proto3 leaves an empty string out of the report, not out of a repeated field).
  if (idFieldEnd > idFieldStart) ackWriter.copy(reader.buffer, idFieldStart, idFieldEnd);
  else ackWriter.emptyString(10);
  // A delivery with an unknown state decodes to null: nothing to apply.
  if (delivery !== null || inbound !== null) reports.push({ reportId, delivery, inbound });
}

/** DeliveryReport { message_id = 1; provider_ref = 2; DeliveryState state = 3; code = 4; description = 5; int64 done_at_ms = 6 }; null for an unknown state. */
function decodeDelivery(reader: WireReader, end: number): Delivery | null {
  let messageId = '';
  let providerRef = '';
  let wireState = 0;
  let code = '';
  let description = '';
  let doneAtMs = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) messageId = reader.string();
    else if (tag === 18) providerRef = reader.string();
    else if (tag === 24) wireState = reader.int32();
    else if (tag === 34) code = reader.string();
    else if (tag === 42) description = reader.string();
    else if (tag === 48) doneAtMs = reader.int64();
    else if (tag === 0 || (tag & 7) === 4) break;
    else reader.skip(tag & 7);
  }
  const state = toDeliveryState(wireState);
  if (state === null) return null;
  return { messageId, providerRef, state, code, description, doneAtMs };
}

/** InboundMessage { Channel channel = 1; from = 2; to = 3; body = 4; in_reply_to_message_id = 5; int64 received_at_ms = 6 } */
function decodeInbound(reader: WireReader, end: number): Inbound {
  let channel = 0;
  let from = '';
  let to = '';
  let body = '';
  let inReplyToMessageId = '';
  let receivedAtMs = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 8) channel = reader.int32();
    else if (tag === 18) from = reader.string();
    else if (tag === 26) to = reader.string();
    else if (tag === 34) body = reader.string();
    else if (tag === 42) inReplyToMessageId = reader.string();
    else if (tag === 48) receivedAtMs = reader.int64();
    else if (tag === 0 || (tag & 7) === 4) break;
    else reader.skip(tag & 7);
  }
  return { channel: fromProviderChannel(channel), from, to, body, inReplyToMessageId, receivedAtMs };
}

function toDeliveryState(state: number): DeliveryState | null {
  switch (state) {
    case WireDeliveryState.DELIVERY_STATE_DELIVERED:
      return 'delivered';
    case WireDeliveryState.DELIVERY_STATE_FAILED:
      return 'failed';
    case WireDeliveryState.DELIVERY_STATE_EXPIRED:
      return 'expired';
    default:
      return null;
  }
}
