// The connector's hand-written Submit codec must write exactly the bytes ts-proto writes, and read
// what a provider's ts-proto (or any protobuf) encoder writes, unknown fields included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { OutboundMessage, SubmitOutcome } from '../../src/channels/provider-connector.js';
import { decodeSubmitAnswers, encodeSubmitFrame, toWireMessage } from '../../src/channels/submit-frame-codec.js';
import { SubmitRequest, SubmitResponse, type SubmitResult } from '../../src/gen/switchboard/provider/v1/provider.js';
import { outboundMessage } from '../helpers/provider-settings.js';

function generated(messages: readonly OutboundMessage[]): Buffer {
  return Buffer.from(SubmitRequest.encode({ messages: messages.map(toWireMessage) }).finish());
}

const varied: OutboundMessage[] = [
  outboundMessage('m-1'),
  outboundMessage('m-2', { channel: 'lms', subject: '[안내] 카드 승인', body: '김철수님 12,500원 승인되었습니다. '.repeat(20), expiresAtMs: 1_795_000_000_000 }),
  outboundMessage('m-3', { channel: 'alimtalk', attributes: { 'alimtalk.template_code': 'TPL-001', '': 'empty key', 'empty value': '', 키: '값' } }),
  outboundMessage('', { recipient: '', sender: '', body: '' }),
  outboundMessage('m-5', { body: 'emoji 😀 and lone surrogates \ud800 x \udc00 end', subject: 'ascii exactly thirty-two chars..' }),
  outboundMessage('m-6', { body: 'x'.repeat(127), subject: 'y'.repeat(128), sender: '가'.repeat(42) + '나', expiresAtMs: Number.MAX_SAFE_INTEGER }),
  outboundMessage('m-7', { channel: 'push', body: '긴 본문 '.repeat(3000), expiresAtMs: 1 }),
  outboundMessage('m-9', { idempotencyKey: 'AbCdEfGhIjKlMnOpQrStUv', expiresAtMs: 1_795_000_000_000 }),
  // expires_at_ms varints around the 32-bit boundary, where the writer changes method.
  ...[2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 35 + 5, 2 ** 49 - 1, 2 ** 52 + 3].map((expiresAtMs) => outboundMessage(`t-${expiresAtMs}`, { expiresAtMs })),
];

test('a Submit frame is byte for byte what the generated encoder writes: ASCII, Hangul, emoji, lone surrogates, attributes, long fields', () => {
  assert.deepEqual(encodeSubmitFrame(varied), generated(varied));
  for (const message of varied) assert.deepEqual(encodeSubmitFrame([message]), generated([message]), message.messageId);
  assert.deepEqual(encodeSubmitFrame([]), generated([]));
});

test('the scratch buffer is reused and grown without mixing frames', () => {
  const big = Array.from({ length: 3000 }, (_, i) => outboundMessage(`big-${i}`, { body: `메시지 ${i} `.repeat(30) }));
  const small = [outboundMessage('after')];
  const first = encodeSubmitFrame(small);
  assert.deepEqual(encodeSubmitFrame(big), generated(big));
  assert.deepEqual(encodeSubmitFrame(small), first);
  assert.deepEqual(first, generated(small), 'a frame handed out earlier is not overwritten by later ones');
});

test('values outside the fast path go through the generated encoder, with its result or its error', () => {
  const negative = [outboundMessage('neg', { expiresAtMs: -5 })];
  assert.deepEqual(encodeSubmitFrame(negative), generated(negative));
  const fraction = [outboundMessage('a'), outboundMessage('frac', { expiresAtMs: 1.5 })];
  assert.throws(() => generated(fraction));
  assert.throws(() => encodeSubmitFrame(fraction));
  // The frame that failed leaves nothing behind in the scratch buffer.
  assert.deepEqual(encodeSubmitFrame([outboundMessage('ok')]), generated([outboundMessage('ok')]));
});

function expected(results: SubmitResult[]): { messageIds: string[]; outcomes: SubmitOutcome[] } {
  return {
    messageIds: results.map((r) => r.messageId),
    outcomes: results.map((r): SubmitOutcome => {
      if (r.outcome === undefined) return { kind: 'rejected', code: 'PROTOCOL_ERROR', reason: 'provider answered without accepted or rejected', retryable: true };
      if (r.outcome.$case === 'accepted') return { kind: 'accepted', providerRef: r.outcome.value.providerRef };
      return { kind: 'rejected', code: r.outcome.value.code, reason: r.outcome.value.reason, retryable: r.outcome.value.retryable };
    }),
  };
}

test('answers decode to message ids and outcomes: accepted, rejected either way, and none', () => {
  const results: SubmitResult[] = [
    { messageId: 'm-1', outcome: { $case: 'accepted', value: { providerRef: 'ref-1' } } },
    { messageId: 'm-2', outcome: { $case: 'rejected', value: { code: 'INVALID_NUMBER', reason: '없는 번호', retryable: false } } },
    { messageId: 'm-3', outcome: { $case: 'rejected', value: { code: 'THROTTLED', reason: 'slow down', retryable: true } } },
    { messageId: 'm-4', outcome: { $case: 'accepted', value: { providerRef: '' } } },
    { messageId: 'm-5', outcome: undefined },
    { messageId: '', outcome: { $case: 'accepted', value: { providerRef: 'r'.repeat(300) } } },
  ];
  const frame = Buffer.from(SubmitResponse.encode({ results }).finish());
  assert.deepEqual(decodeSubmitAnswers(frame), expected(results));
  assert.deepEqual(decodeSubmitAnswers(Buffer.alloc(0)), { messageIds: [], outcomes: [] });
});

test('answers with fields this gateway does not know skip them, at every level', () => {
  const w = new BinaryWriter();
  w.uint32((15 << 3) | 0).uint64(2n ** 63n); // unknown varint at the top
  w.uint32(10).fork(); // a result
  w.uint32((9 << 3) | 1).fixed64(7n);
  w.uint32(10).string('m-1');
  w.uint32(18).fork().uint32((5 << 3) | 2).string('future').uint32(10).string('ref-1').uint32((6 << 3) | 5).fixed32(3).join();
  w.uint32((12 << 3) | 0).int32(-1);
  w.join();
  w.uint32(10).fork().uint32(10).string('m-2').uint32(26).fork().uint32(24).bool(true).uint32(10).string('BUSY').join().join();
  const frame = Buffer.from(w.finish());
  const results = SubmitResponse.decode(frame).results;
  assert.equal(results.length, 2);
  assert.deepEqual(decodeSubmitAnswers(frame), expected(results));
});

test('a truncated answer frame throws (grpc-js then fails the stream), as the generated decoder does', () => {
  const frame = Buffer.from(SubmitResponse.encode({ results: [{ messageId: 'm-1', outcome: { $case: 'accepted', value: { providerRef: 'ref-1' } } }] }).finish());
  for (const cut of [1, 3, frame.length - 1]) {
    assert.throws(() => SubmitResponse.decode(frame.subarray(0, cut)));
    assert.throws(() => decodeSubmitAnswers(frame.subarray(0, cut)), Error, `cut at ${cut}`);
  }
});
