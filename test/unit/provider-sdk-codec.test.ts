// The provider SDK's hand-written codec must read what any protobuf encoder writes into the objects
// the generated ts-proto decoder builds, and write exactly the bytes the generated encoders write.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { decodeSubmitRequest, encodeReportBatch, encodeSubmitResponse } from '../../src/channels/provider-sdk-codec.js';
import {
  Channel,
  DeliveryState,
  ProviderMessage,
  ReportBatch,
  SubmitRequest,
  SubmitResponse,
  type ProviderReport,
  type SubmitResult,
} from '../../src/gen/switchboard/provider/v1/provider.js';

function message(messageId: string, fields: Partial<ProviderMessage> = {}): ProviderMessage {
  return { messageId, channel: Channel.CHANNEL_SMS, recipient: '+821012345678', sender: '15880000', subject: '', body: '[카드승인] 김철수님 12,000원', attributes: {}, expiresAtMs: 1_795_000_000_000, idempotencyKey: '', ...fields };
}

const messages: ProviderMessage[] = [
  message('m-1'),
  message('m-2', { channel: Channel.CHANNEL_LMS, subject: '[안내] 카드 승인', body: '김철수님 12,500원 승인되었습니다. '.repeat(20) }),
  message('m-3', { channel: Channel.CHANNEL_ALIMTALK, attributes: { 'alimtalk.template_code': 'TPL-001', '': 'empty key', 'empty value': '', 키: '값' } }),
  message('', { channel: 0, recipient: '', sender: '', body: '', expiresAtMs: 0 }),
  message('m-5', { body: 'emoji 😀 and lone surrogates \ud800 x \udc00 end', subject: 'ascii exactly thirty-two chars..' }),
  message('m-6', { body: 'x'.repeat(127), subject: 'y'.repeat(128), sender: '가'.repeat(42) + '나', expiresAtMs: Number.MAX_SAFE_INTEGER }),
  message('m-7', { channel: Channel.CHANNEL_PUSH, body: '긴 본문 '.repeat(3000), expiresAtMs: 1 }),
  message('m-9', { idempotencyKey: 'AbCdEfGhIjKlMnOpQrStUv' }),
  message('m-8', { channel: -3 as Channel, expiresAtMs: -5 }), // what a broken or hostile gateway could send
  ...[2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 49 - 1].map((expiresAtMs) => message(`t-${expiresAtMs}`, { expiresAtMs })),
];

test('a SubmitRequest decodes to what the generated decoder builds, from what the generated encoder writes', () => {
  const frame = Buffer.from(SubmitRequest.encode({ messages }).finish());
  assert.deepEqual(decodeSubmitRequest(frame), SubmitRequest.decode(frame));
  for (const m of messages) {
    const one = Buffer.from(SubmitRequest.encode({ messages: [m] }).finish());
    assert.deepEqual(decodeSubmitRequest(one), SubmitRequest.decode(one), m.messageId);
  }
  assert.deepEqual(decodeSubmitRequest(Buffer.alloc(0)), { messages: [] });
});

test('unknown fields, repeated fields and wire types it does not expect are read as the generated decoder reads them', () => {
  const w = new BinaryWriter();
  w.uint32(10).fork();
  w.uint32(10).string('first-id').uint32(10).string('last-id-wins');
  w.uint32((99 << 3) | 2).string('a field from a newer proto'); // unknown, length-delimited
  w.uint32((98 << 3) | 0).uint64(123n); // unknown varint
  w.uint32((97 << 3) | 1).fixed64(7n); // unknown 64-bit
  w.uint32((96 << 3) | 5).fixed32(7); // unknown 32-bit
  w.uint32((1 << 3) | 0).uint32(5); // message_id with the wrong wire type: skipped
  w.uint32(58).fork().uint32(10).string('k').uint32(18).string('v1').join();
  w.uint32(58).fork().uint32(10).string('k').uint32(18).string('v2').join(); // a later entry replaces the key
  w.uint32(58).fork().uint32(18).string('no key').join();
  w.uint32(64).int64(-1n);
  w.join();
  w.uint32((99 << 3) | 2).string('unknown at the top');
  const frame = Buffer.from(w.finish());
  const decoded = decodeSubmitRequest(frame);
  assert.deepEqual(decoded, SubmitRequest.decode(frame));
  assert.equal(decoded.messages[0]?.messageId, 'last-id-wins');
  assert.deepEqual(decoded.messages[0]?.attributes, { k: 'v2', '': 'no key' });
});

test('truncated or oversized input fails as the generated decoder fails', () => {
  const frame = Buffer.from(SubmitRequest.encode({ messages: [message('m-1')] }).finish());
  for (const cut of [1, 5, frame.length - 1]) {
    const truncated = frame.subarray(0, cut);
    assert.throws(() => SubmitRequest.decode(truncated), `generated, cut at ${cut}`);
    assert.throws(() => decodeSubmitRequest(truncated), `hand-written, cut at ${cut}`);
  }
  const huge = Buffer.from(new BinaryWriter().uint32(10).fork().uint32(64).int64(2n ** 60n).join().finish());
  assert.throws(() => SubmitRequest.decode(huge), /MAX_SAFE_INTEGER/);
  assert.throws(() => decodeSubmitRequest(huge), /MAX_SAFE_INTEGER/);
});

const results: SubmitResult[] = [
  { messageId: 'm-1', outcome: { $case: 'accepted', value: { providerRef: 'sim-1' } } },
  { messageId: 'm-2', outcome: { $case: 'rejected', value: { code: 'INVALID_NUMBER', reason: '수신번호 오류: not E.164', retryable: false } } },
  { messageId: 'm-3', outcome: { $case: 'rejected', value: { code: 'THROTTLED', reason: '', retryable: true } } },
  { messageId: 'm-4', outcome: { $case: 'accepted', value: { providerRef: '' } } },
  { messageId: '', outcome: undefined },
  { messageId: 'm-6'.repeat(50), outcome: { $case: 'accepted', value: { providerRef: 'ref-😀'.repeat(40) } } },
];

test('a SubmitResponse is byte for byte what the generated encoder writes', () => {
  assert.deepEqual(encodeSubmitResponse({ results }), Buffer.from(SubmitResponse.encode({ results }).finish()));
  for (const r of results) assert.deepEqual(encodeSubmitResponse({ results: [r] }), Buffer.from(SubmitResponse.encode({ results: [r] }).finish()), r.messageId);
  assert.deepEqual(encodeSubmitResponse({ results: [] }), Buffer.alloc(0));
});

const reports: ProviderReport[] = [
  { reportId: 'r-1', event: { $case: 'delivery', value: { messageId: 'm-1', providerRef: 'sim-1', state: DeliveryState.DELIVERY_STATE_DELIVERED, code: '', description: '', doneAtMs: 1_795_000_000_123 } } },
  { reportId: 'r-2', event: { $case: 'delivery', value: { messageId: 'm-2', providerRef: 'sim-2', state: DeliveryState.DELIVERY_STATE_FAILED, code: 'UNREACHABLE', description: '단말기 전원 꺼짐', doneAtMs: 0 } } },
  { reportId: 'r-3', event: { $case: 'inbound', value: { channel: Channel.CHANNEL_SMS, from: '+821012345678', to: '15880000', body: '수신거부 080', inReplyToMessageId: 'm-1', receivedAtMs: 2 ** 32 } } },
  { reportId: 'r-4', event: { $case: 'inbound', value: { channel: 0, from: '', to: '', body: '', inReplyToMessageId: '', receivedAtMs: 0 } } },
  { reportId: '', event: undefined },
  { reportId: 'r-6', event: { $case: 'delivery', value: { messageId: 'm-6', providerRef: 'x'.repeat(300), state: 0, code: '', description: 'd'.repeat(200), doneAtMs: Number.MAX_SAFE_INTEGER } } },
];

test('a ReportBatch is byte for byte what the generated encoder writes', () => {
  assert.deepEqual(encodeReportBatch({ reports }), Buffer.from(ReportBatch.encode({ reports }).finish()));
  for (const r of reports) assert.deepEqual(encodeReportBatch({ reports: [r] }), Buffer.from(ReportBatch.encode({ reports: [r] }).finish()), r.reportId);
  const many = Array.from({ length: 5000 }, (_, i) => ({ ...reports[i % reports.length]!, reportId: `r-${i}` }));
  assert.deepEqual(encodeReportBatch({ reports: many }), Buffer.from(ReportBatch.encode({ reports: many }).finish()));
});

test('report values outside the fast path go through the generated encoder, with its result or its error', () => {
  const negative: ProviderReport[] = [
    reports[0]!,
    { reportId: 'neg', event: { $case: 'delivery', value: { messageId: 'm', providerRef: 'p', state: -1 as DeliveryState, code: '', description: '', doneAtMs: -5 } } },
  ];
  assert.deepEqual(encodeReportBatch({ reports: negative }), Buffer.from(ReportBatch.encode({ reports: negative }).finish()));
  const fraction: ProviderReport[] = [{ reportId: 'frac', event: { $case: 'inbound', value: { channel: 1, from: 'a', to: 'b', body: 'c', inReplyToMessageId: '', receivedAtMs: 1.5 } } }];
  assert.throws(() => ReportBatch.encode({ reports: fraction }));
  assert.throws(() => encodeReportBatch({ reports: fraction }));
  // The frame that failed leaves nothing behind in the scratch buffer.
  assert.deepEqual(encodeReportBatch({ reports: [reports[0]!] }), Buffer.from(ReportBatch.encode({ reports: [reports[0]!] }).finish()));
});

test('a frame that fails to encode halfway leaves nothing behind for the next one', () => {
  const broken = [results[0]!, { messageId: 'bad', outcome: { $case: 'accepted', value: { providerRef: undefined as unknown as string } } } as SubmitResult];
  assert.throws(() => encodeSubmitResponse({ results: broken }));
  assert.deepEqual(encodeSubmitResponse({ results: [results[1]!] }), Buffer.from(SubmitResponse.encode({ results: [results[1]!] }).finish()));
  const brokenReport = [reports[0]!, { reportId: 7 as unknown as string, event: undefined }];
  assert.throws(() => encodeReportBatch({ reports: brokenReport }));
  assert.deepEqual(encodeReportBatch({ reports: [reports[2]!] }), Buffer.from(ReportBatch.encode({ reports: [reports[2]!] }).finish()));
});
