// The connector's hand-written Reports codec must read what a provider's protobuf encoder writes
// into the same ProviderReports the generated decoder led to, and ack in ts-proto's exact bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { fromProviderChannel } from '../../src/channels/provider-channel.js';
import type { ProviderReport } from '../../src/channels/provider-connector.js';
import { decodeReportFrame } from '../../src/channels/report-frame-codec.js';
import { Channel, DeliveryState, ReportAck, ReportBatch, type ProviderReport as WireReport } from '../../src/gen/switchboard/provider/v1/provider.js';

const STATES = { [DeliveryState.DELIVERY_STATE_DELIVERED]: 'delivered', [DeliveryState.DELIVERY_STATE_FAILED]: 'failed', [DeliveryState.DELIVERY_STATE_EXPIRED]: 'expired' } as const;

/** What the connector made of the generated decoder's objects before this codec, and the ack ts-proto writes for the frame. */
function expected(wire: WireReport[]): { reports: ProviderReport[]; ack: Buffer } {
  const reports: ProviderReport[] = [];
  for (const r of wire) {
    if (r.event?.$case === 'delivery') {
      const d = r.event.value;
      const state = STATES[d.state as keyof typeof STATES];
      if (state === undefined) continue;
      reports.push({ reportId: r.reportId, delivery: { messageId: d.messageId, providerRef: d.providerRef, state, code: d.code, description: d.description, doneAtMs: d.doneAtMs }, inbound: null });
    } else if (r.event?.$case === 'inbound') {
      const m = r.event.value;
      reports.push({
        reportId: r.reportId,
        delivery: null,
        inbound: { channel: fromProviderChannel(m.channel), from: m.from, to: m.to, body: m.body, inReplyToMessageId: m.inReplyToMessageId, receivedAtMs: m.receivedAtMs },
      });
    }
  }
  return { reports, ack: Buffer.from(ReportAck.encode({ reportIds: wire.map((r) => r.reportId) }).finish()) };
}

function delivery(reportId: string, state: DeliveryState, doneAtMs: number): WireReport {
  return { reportId, event: { $case: 'delivery', value: { messageId: `m-${reportId}`, providerRef: `ref-${reportId}`, state, code: state === DeliveryState.DELIVERY_STATE_FAILED ? 'NO_SUCH_NUMBER' : '', description: '결번', doneAtMs } } };
}

test('report frames decode to the same reports as through the generated decoder, and their ack names every report id', () => {
  const wire: WireReport[] = [
    delivery('r-1', DeliveryState.DELIVERY_STATE_DELIVERED, 1_795_000_000_123),
    delivery('r-2', DeliveryState.DELIVERY_STATE_FAILED, 0),
    delivery('r-3', DeliveryState.DELIVERY_STATE_EXPIRED, Number.MAX_SAFE_INTEGER),
    delivery('r-4', DeliveryState.DELIVERY_STATE_UNSPECIFIED, 5), // nothing to apply
    delivery('r-5', 7 as DeliveryState, 5), // a state this gateway does not know
    delivery('r-6', DeliveryState.DELIVERY_STATE_DELIVERED, -1),
    delivery('r-7', DeliveryState.DELIVERY_STATE_DELIVERED, Number.MIN_SAFE_INTEGER),
    delivery('r-8', DeliveryState.DELIVERY_STATE_DELIVERED, -(2 ** 32)),
    { reportId: 'r-9', event: undefined },
    { reportId: 'r-10', event: { $case: 'inbound', value: { channel: Channel.CHANNEL_SMS, from: '+821011112222', to: '15880000', body: '수신거부 😀', inReplyToMessageId: 'm-1', receivedAtMs: 1_795_000_000_000 } } },
    { reportId: 'r-11', event: { $case: 'inbound', value: { channel: Channel.CHANNEL_UNSPECIFIED, from: '', to: '', body: '', inReplyToMessageId: '', receivedAtMs: 0 } } },
    { reportId: '', event: { $case: 'inbound', value: { channel: 42 as Channel, from: 'a', to: 'b', body: 'x'.repeat(500), inReplyToMessageId: '', receivedAtMs: 2 ** 40 } } },
  ];
  const frame = Buffer.from(ReportBatch.encode({ reports: wire }).finish());
  assert.deepEqual(decodeReportFrame(frame), expected(ReportBatch.decode(frame).reports));
  assert.deepEqual(decodeReportFrame(Buffer.alloc(0)), { reports: [], ack: Buffer.alloc(0) });
});

test('int64 times outside the safe integer range throw, as ts-proto with forceLong=number does', () => {
  for (const doneAtMs of [2n ** 53n, -(2n ** 53n) - 1n, 2n ** 63n - 1n]) {
    const w = new BinaryWriter();
    w.uint32(10).fork().uint32(10).string('r').uint32(18).fork().uint32(24).int32(1).uint32(48).int64(doneAtMs).join().join();
    const frame = Buffer.from(w.finish());
    assert.throws(() => ReportBatch.decode(frame));
    assert.throws(() => decodeReportFrame(frame), /Number.MAX_SAFE_INTEGER|Number.MIN_SAFE_INTEGER/);
  }
});

test('fields this gateway does not know are skipped; the last event of a report wins', () => {
  const w = new BinaryWriter();
  w.uint32(10).fork();
  w.uint32((20 << 3) | 2).string('future');
  w.uint32(10).string('r-1');
  w.uint32(26).fork().uint32(18).string('+8210').join(); // an inbound, then a delivery: the delivery wins
  w.uint32(18).fork().uint32((30 << 3) | 5).fixed32(1).uint32(10).string('m-1').uint32(24).int32(2).uint32((31 << 3) | 1).fixed64(9n).join();
  w.uint32((21 << 3) | 0).int64(-3n);
  w.join();
  const frame = Buffer.from(w.finish());
  const decoded = decodeReportFrame(frame);
  assert.deepEqual(decoded, expected(ReportBatch.decode(frame).reports));
  assert.equal(decoded.reports[0]?.delivery?.state, 'failed');
});

test('a truncated report frame throws, and leaves nothing in the next frame\'s ack', () => {
  const wire = [delivery('r-1', DeliveryState.DELIVERY_STATE_DELIVERED, 1_795_000_000_123), delivery('r-2', DeliveryState.DELIVERY_STATE_DELIVERED, 1)];
  const frame = Buffer.from(ReportBatch.encode({ reports: wire }).finish());
  for (const cut of [1, 5, frame.length - 1]) assert.throws(() => decodeReportFrame(frame.subarray(0, cut)), Error, `cut at ${cut}`);
  assert.deepEqual(decodeReportFrame(frame), expected(wire));
});

test('acks of large frames (ids copied in long runs too) match the generated encoder', () => {
  const wire = Array.from({ length: 3000 }, (_, i) => delivery(`${i}-${'긴'.repeat(i % 40)}`, DeliveryState.DELIVERY_STATE_DELIVERED, i));
  const frame = Buffer.from(ReportBatch.encode({ reports: wire }).finish());
  assert.deepEqual(decodeReportFrame(frame), expected(wire));
});
