import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { RejectReason, type AckBatch, type Message, type SendBatch } from '../../src/gen/switchboard/v1/gateway.js';
import { makeMessage } from '../helpers/gateway-calls.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

const TOTAL = 20_000;

/** `count` valid messages cut into frames of `frameSize`, batch ids from `firstBatchId`. */
function framesOf(count: number, frameSize: number, firstBatchId = 1): SendBatch[] {
  const frames: SendBatch[] = [];
  for (let start = 0; start < count; start += frameSize) {
    const messages: Message[] = [];
    for (let i = start; i < Math.min(count, start + frameSize); i++) messages.push(makeMessage({ templateId: 'otp', variables: { code: String(i) } }));
    frames.push({ batchId: firstBatchId + frames.length, messages });
  }
  return frames;
}

/** Checks that answers[i] answers frames[i] (batch_id) with one ack per message in index order; returns the accepted ids. */
function assertAnswered(frames: readonly SendBatch[], answers: readonly AckBatch[]): string[] {
  assert.equal(answers.length, frames.length, 'one AckBatch per frame');
  const ids: string[] = [];
  answers.forEach((answer, f) => {
    const frame = frames[f] as SendBatch;
    assert.equal(answer.batchId, frame.batchId, `answer ${f} is for batch ${frame.batchId}`);
    assert.deepEqual(answer.acks.map((a) => a.index), frame.messages.map((_, i) => i), `acks of batch ${frame.batchId} in index order`);
    for (const ack of answer.acks) {
      assert.equal(ack.accepted, true, `batch ${frame.batchId} index ${ack.index}: ${ack.detail}`);
      assert.equal(ack.reason, RejectReason.REJECT_REASON_UNSPECIFIED);
      assert.notEqual(ack.messageId, '');
      ids.push(ack.messageId);
    }
  });
  return ids;
}

/** Waits until the simulated SMS provider has received every id, then checks none is missing. */
async function assertAllReachProvider(gw: TestGateway, ids: readonly string[]): Promise<void> {
  const wanted = new Set(ids);
  assert.equal(wanted.size, ids.length, 'message ids are unique');
  const missing = (): string[] => {
    const received = new Set(gw.sms.received());
    return ids.filter((id) => !received.has(id));
  };
  await waitFor(() => missing().length === 0, 60_000, 'every accepted message at the provider').catch((error: Error) => {
    throw new Error(`${error.message}; ${missing().length} of ${ids.length} missing, e.g. ${missing().slice(0, 3).join(', ')}`);
  });
  assert.deepEqual(missing(), []);
}

async function startGateway(t: TestContext, maxBatchSize?: number): Promise<TestGateway> {
  const gw = await startTestGateway({}, (raw) => {
    // The dispatcher and the provider are not under test here; keep their share of the run small.
    if (maxBatchSize !== undefined) (raw['limits'] as Record<string, unknown>)['maxBatchSize'] = maxBatchSize;
  });
  t.after(() => gw.stop());
  return gw;
}

test(`SendStream: ${TOTAL} messages in frames of 500 are all acked, in frame order, and all reach the provider`, async (t) => {
  const gw = await startGateway(t);
  const frames = framesOf(TOTAL, 500, 1000);
  const answers = await gw.client.sendStream(frames, 4);
  const ids = assertAnswered(frames, answers);
  assert.equal(ids.length, TOTAL);
  await assertAllReachProvider(gw, ids);
});

test(`SendStream: ${TOTAL} messages in frames of 1 with several frames in flight are all acked, in frame order, and all reach the provider`, async (t) => {
  const gw = await startGateway(t);
  const frames = framesOf(TOTAL, 1);
  const answers = await gw.client.sendStream(frames, 64);
  const ids = assertAnswered(frames, answers);
  assert.equal(ids.length, TOTAL);
  await assertAllReachProvider(gw, ids);
});

test('SendStream: an empty frame ends the stream with INVALID_ARGUMENT naming the batch; earlier frames keep their acks', async (t) => {
  const gw = await startGateway(t);
  const { answers, error } = await gw.client.sendStreamSettled([{ batchId: 1, messages: [makeMessage({})] }, { batchId: 7, messages: [] }], 1);
  assert.equal(error?.code, Status.INVALID_ARGUMENT);
  assert.equal(error?.details, 'SendBatch 7: messages is empty');
  assert.deepEqual(answers.map((a) => [a.batchId, a.acks.map((ack) => ack.accepted)]), [[1, [true]]]);
});

test('SendStream: frames that arrive together are acked per frame, with indexes within the frame, up to a bad frame that ends the stream', async (t) => {
  const gw = await startGateway(t);
  // A slow store: while the first frame is stored, the others arrive and wait; they are then
  // stored together, in one call (the valid messages of frames 2 and 3).
  const store = gw.node.store;
  const enqueue = store.enqueue.bind(store);
  const storedBatches: number[] = [];
  store.enqueue = async (batch) => {
    storedBatches.push(batch.length);
    await new Promise((resolve) => setTimeout(resolve, 50));
    return enqueue(batch);
  };
  const frames: SendBatch[] = [
    { batchId: 1, messages: [makeMessage({ clientRef: 'a0' }), makeMessage({ clientRef: 'a1', recipient: '0101234' }), makeMessage({ clientRef: 'a2' })] },
    { batchId: 2, messages: [makeMessage({ clientRef: 'b0', templateId: 'nope' }), makeMessage({ clientRef: 'b1' })] },
    { batchId: 3, messages: [makeMessage({ clientRef: 'c0' })] },
    { batchId: 4, messages: [] },
    { batchId: 5, messages: [makeMessage({ clientRef: 'e0' })] },
  ];
  const { answers, error } = await gw.client.sendStreamSettled(frames, frames.length);
  assert.equal(error?.code, Status.INVALID_ARGUMENT);
  assert.equal(error?.details, 'SendBatch 4: messages is empty');
  assert.deepEqual(
    answers.map((a) => [a.batchId, a.acks.map(({ index, clientRef, accepted }) => `${index}:${clientRef}:${accepted}`)]),
    [
      [1, ['0:a0:true', '1:a1:false', '2:a2:true']],
      [2, ['0:b0:false', '1:b1:true']],
      [3, ['0:c0:true']],
    ],
  );
  assert.deepEqual(storedBatches, [2, 2]);
  const accepted = answers.flatMap((a) => a.acks.filter((ack) => ack.accepted).map((ack) => ack.messageId));
  await assertAllReachProvider(gw, accepted);
  // Nothing after the refused frame was stored.
  assert.equal(gw.sms.received().length, 4);
});

test('SendStream: a frame over limits.maxBatchSize ends the stream with INVALID_ARGUMENT and stores none of it', async (t) => {
  const gw = await startGateway(t, 10);
  const { answers, error } = await gw.client.sendStreamSettled(framesOf(10, 10, 1).concat(framesOf(11, 11, 2)), 1);
  assert.equal(error?.code, Status.INVALID_ARGUMENT);
  assert.equal(error?.details, 'SendBatch 2: messages has 11 entries; the limit is 10');
  assert.deepEqual(answers.map((a) => [a.batchId, a.acks.length]), [[1, 10]]);
  const accepted = answers.flatMap((a) => a.acks.map((ack) => ack.messageId));
  await assertAllReachProvider(gw, accepted);
  // Nothing of the refused frame was sent.
  assert.equal(gw.sms.received().length, 10);
});

test('SendStream: bad messages in a frame are rejected one by one with their reason; the rest of the frame is accepted', async (t) => {
  const gw = await startGateway(t);
  const messages: Message[] = [
    makeMessage({ clientRef: 'ok-0' }),
    makeMessage({ clientRef: 'bad-recipient', recipient: '0101234' }),
    makeMessage({ clientRef: 'ok-2' }),
    makeMessage({ clientRef: 'bad-template', templateId: 'nope' }),
    makeMessage({ clientRef: 'bad-sender', sender: '0299999999' }),
    makeMessage({ clientRef: 'too-large', content: { body: 'x'.repeat(2001), subject: '' } }),
    makeMessage({ clientRef: 'ok-6', content: { body: 'plain text', subject: '' } }),
    makeMessage({ clientRef: 'bad ref' }),
  ];
  const [answer] = await gw.client.sendStream([{ batchId: 42, messages }]);
  assert.equal(answer?.batchId, 42);
  assert.deepEqual(
    answer?.acks.map(({ index, clientRef, accepted, reason, detail }) => ({ index, clientRef, accepted, reason: RejectReason[reason], detail })),
    [
      { index: 0, clientRef: 'ok-0', accepted: true, reason: 'REJECT_REASON_UNSPECIFIED', detail: '' },
      { index: 1, clientRef: 'bad-recipient', accepted: false, reason: 'REJECT_REASON_INVALID_RECIPIENT', detail: 'recipient "0101234" is not a valid Korean mobile number' },
      { index: 2, clientRef: 'ok-2', accepted: true, reason: 'REJECT_REASON_UNSPECIFIED', detail: '' },
      { index: 3, clientRef: 'bad-template', accepted: false, reason: 'REJECT_REASON_UNKNOWN_TEMPLATE', detail: 'template_id "nope" is not a configured template' },
      {
        index: 4,
        clientRef: 'bad-sender',
        accepted: false,
        reason: 'REJECT_REASON_INVALID_SENDER',
        detail: 'sender "0299999999" is not a registered sender number of tenant "tenant-a"',
      },
      { index: 5, clientRef: 'too-large', accepted: false, reason: 'REJECT_REASON_TOO_LARGE', detail: 'content.body is 2001 bytes; the limit is 2000' },
      { index: 6, clientRef: 'ok-6', accepted: true, reason: 'REJECT_REASON_UNSPECIFIED', detail: '' },
      { index: 7, clientRef: 'bad ref', accepted: false, reason: 'REJECT_REASON_INVALID_CLIENT_REF', detail: 'client_ref must match ^[A-Za-z0-9_:.-]{1,128}$' },
    ],
  );
  const acks = answer?.acks ?? [];
  assert.ok(acks.every((a) => (a.accepted ? a.messageId !== '' : a.messageId === '')), 'only accepted messages have an id');
  await assertAllReachProvider(
    gw,
    acks.filter((a) => a.accepted).map((a) => a.messageId),
  );
  assert.equal(gw.sms.received().length, 3);
});

/** Streams `count` messages in frames of `frameSize` (one frame in flight) and counts acks by outcome. */
async function streamAndCount(gw: TestGateway, count: number, frameSize: number): Promise<{ accepted: number; queueFull: number }> {
  const frames: SendBatch[] = [];
  for (let i = 0; i < count / frameSize; i++) frames.push({ batchId: i, messages: Array.from({ length: frameSize }, () => makeMessage({})) });
  const answers = await gw.client.sendStream(frames, 1);
  const acks = answers.flatMap((a) => a.acks);
  return { accepted: acks.filter((a) => a.accepted).length, queueFull: acks.filter((a) => a.reason === RejectReason.REJECT_REASON_QUEUE_FULL).length };
}

test('a full queue holds the stream (flow control) instead of acking QUEUE_FULL, while the provider drains it', async (t) => {
  // A queue of 50 in front of a provider that answers every 20 ms: the client is far faster.
  const gw = await startTestGateway({ latencyMs: 20 }, (raw) => {
    raw['store'] = { kind: 'memory', maxQueuedMessages: 50 };
  });
  t.after(() => gw.stop());
  assert.deepEqual(await streamAndCount(gw, 1_000, 100), { accepted: 1_000, queueFull: 0 });
  await waitFor(() => gw.sms.received().length === 1_000, 30_000, 'every message to reach the provider');
});

test('with queueFullWait 0 the same stream gets QUEUE_FULL acks at once (the hold is what prevents them)', async (t) => {
  const gw = await startTestGateway({ latencyMs: 20 }, (raw) => {
    raw['store'] = { kind: 'memory', maxQueuedMessages: 50 };
    (raw['limits'] as Record<string, unknown>)['queueFullWait'] = 0;
  });
  t.after(() => gw.stop());
  const { accepted, queueFull } = await streamAndCount(gw, 1_000, 100);
  assert.equal(accepted + queueFull, 1_000);
  assert.ok(queueFull > 0, 'some messages were refused');
});
