import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentials } from '@grpc/grpc-js';
import {
  Channel,
  ChannelProviderClient,
  DeliveryState,
  type Capabilities,
  type ProviderMessage,
  type SubmitResult,
} from '../../src/gen/switchboard/provider/v1/provider.js';
import {
  accept,
  createProviderServer,
  isE164,
  reject,
  type ProviderHandler,
  type ProviderServer,
  type ProviderServerOptions,
  type SubmitOutcome,
} from '../../src/channels/provider-sdk.js';
import { openReports, submitFrames } from '../helpers/provider-calls.js';
import { waitFor } from '../helpers/wait-for.js';

const CAPABILITIES: Capabilities = { channels: [Channel.CHANNEL_SMS], maxTps: 50, maxBodyBytes: 2000, maxInFlight: 100 };

function message(messageId: string, recipient = '+821012345678'): ProviderMessage {
  return {
    messageId,
    channel: Channel.CHANNEL_SMS,
    recipient,
    sender: '+8215880000',
    subject: '',
    body: 'hello',
    attributes: {},
    expiresAtMs: 0,
    idempotencyKey: '',
  };
}

/** A handler that accepts everything as `ref-<id>` and records each batch it is given. */
function recordingHandler(): ProviderHandler & { batches: string[][]; receipts: string[] } {
  const batches: string[][] = [];
  const receipts: string[] = [];
  return {
    batches,
    receipts,
    capabilities: CAPABILITIES,
    submit: async (messages) => {
      batches.push(messages.map((m) => m.messageId));
      return messages.map((m): SubmitOutcome => ({ accepted: { providerRef: `ref-${m.messageId}` } }));
    },
    onReceive: (m, duplicate) => receipts.push(`${m.messageId}:${duplicate ? 'dup' : 'new'}`),
  };
}

async function start(
  t: TestContext,
  handler: ProviderHandler,
  options?: ProviderServerOptions,
): Promise<{ server: ProviderServer; client: ChannelProviderClient }> {
  const server = createProviderServer(handler, options);
  const port = await server.listen();
  const client = new ChannelProviderClient(`127.0.0.1:${port}`, credentials.createInsecure());
  t.after(async () => {
    client.close();
    await server.close(1000);
  });
  return { server, client };
}



function accepted(result: SubmitResult | undefined): string {
  assert.equal(result?.outcome?.$case, 'accepted');
  return result.outcome.value.providerRef;
}

function delivery(messageId: string) {
  return {
    delivery: {
      messageId,
      providerRef: `ref-${messageId}`,
      state: DeliveryState.DELIVERY_STATE_DELIVERED,
      code: '',
      description: '',
      doneAtMs: 1,
    },
  };
}

test('GetCapabilities answers the handler capabilities', async (t) => {
  const { client } = await start(t, recordingHandler());
  const capabilities = await new Promise<Capabilities>((resolve, reject) =>
    client.getCapabilities({}, (error, response) => (error ? reject(error) : resolve(response))),
  );
  assert.deepEqual(capabilities, CAPABILITIES);
});

test('each Submit frame reaches the handler as one batch and gets one answer per message', async (t) => {
  const handler = recordingHandler();
  const { client, server } = await start(t, handler);

  const answers = await submitFrames(client, [[message('a'), message('b'), message('c')], [message('d')]]);

  assert.deepEqual(handler.batches, [['a', 'b', 'c'], ['d']]);
  const results = answers.flat();
  assert.deepEqual(results.map((r) => r.messageId).sort(), ['a', 'b', 'c', 'd']);
  for (const result of results) assert.equal(accepted(result), `ref-${result.messageId}`);
  assert.equal(answers.length, 2, 'one SubmitResponse per handled batch');
  assert.deepEqual(server.stats(), {
    received: 4, duplicates: 0, accepted: 4, rejected: 0,
    reportsPending: 0, reportsUnacked: 0, reportsAcked: 0, reportsDropped: 0,
  });
});

test('a message id accepted before is answered with the same provider ref, without calling the handler', async (t) => {
  let counter = 0;
  const handler = recordingHandler();
  handler.submit = async (messages) => {
    handler.batches.push(messages.map((m) => m.messageId));
    return messages.map(() => ({ accepted: { providerRef: `ref-${++counter}` } }));
  };
  const { client, server } = await start(t, handler);

  const [first] = await submitFrames(client, [[message('a'), message('b')]]);
  // A resend after a broken stream comes on a new stream, next to a new message.
  const [second] = await submitFrames(client, [[message('a'), message('c')]]);

  assert.deepEqual(handler.batches, [['a', 'b'], ['c']]);
  assert.equal(accepted(second?.find((r) => r.messageId === 'a')), accepted(first?.find((r) => r.messageId === 'a')));
  assert.deepEqual(handler.receipts, ['a:new', 'b:new', 'a:dup', 'c:new']);
  assert.equal(server.stats().duplicates, 1);
  assert.equal(server.stats().accepted, 3);
});

test('a message id repeated inside one frame reaches the handler once and both get the same answer', async (t) => {
  const handler = recordingHandler();
  const { client } = await start(t, handler);

  const answers = await submitFrames(client, [[message('x'), message('x'), message('y')]]);

  assert.deepEqual(handler.batches, [['x', 'y']]);
  assert.deepEqual(answers.flat().map((r) => [r.messageId, accepted(r)]), [
    ['x', 'ref-x'],
    ['x', 'ref-x'],
    ['y', 'ref-y'],
  ]);
  assert.deepEqual(handler.receipts, ['x:new', 'x:dup', 'y:new']);
});

test('a handler rejection answers its batch as retryable PROVIDER_ERROR and the server keeps serving', async (t) => {
  const errors: unknown[] = [];
  let fail = true;
  const handler = recordingHandler();
  const accept = handler.submit;
  handler.submit = async (messages) => {
    if (fail) throw new Error('carrier link down');
    return accept(messages);
  };
  const { client, server } = await start(t, handler, { onError: (error) => errors.push(error) });

  const [failed] = await submitFrames(client, [[message('a'), message('b')]]);
  assert.deepEqual(failed, ['a', 'b'].map((messageId) => ({
    messageId,
    outcome: { $case: 'rejected', value: { code: 'PROVIDER_ERROR', reason: 'provider failed: carrier link down', retryable: true } },
  })));
  assert.equal(errors.length, 1);

  fail = false;
  const [retried] = await submitFrames(client, [[message('a')]]);
  assert.equal(accepted(retried?.[0]), 'ref-a', 'a rejected message is not remembered as a duplicate');
  assert.equal(server.stats().rejected, 2);
});

test('a gateway that leaves mid-batch does not crash the server, and its resend is a duplicate', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handler = recordingHandler();
  const accept = handler.submit;
  handler.submit = async (messages) => {
    await gate;
    return accept(messages);
  };
  const { client, server } = await start(t, handler);

  const call = client.submit();
  call.on('error', () => {}); // CANCELLED
  call.write({ messages: [message('a')] });
  await waitFor(() => handler.receipts.length === 1, 10_000, 'message received');
  call.cancel();
  // The resend arrives while the first batch is still with the handler: it must wait, not resubmit.
  const resend = submitFrames(client, [[message('a')]]);
  await waitFor(() => server.stats().duplicates === 1, 10_000, 'resend seen as duplicate');
  release();

  const [answer] = await resend;
  assert.equal(accepted(answer?.[0]), 'ref-a');
  assert.deepEqual(handler.batches, [['a']]);
});

test('reports wait for a stream; an unacked report is resent on the next stream and an acked one is not', async (t) => {
  const { client, server } = await start(t, recordingHandler(), { reportIdPrefix: 'p' });
  const r1 = server.report(delivery('m1'));
  const r2 = server.report(delivery('m2'));
  assert.deepEqual([r1, r2], ['p-1', 'p-2']);
  assert.equal(server.stats().reportsPending, 2);

  const first = openReports(client);
  await waitFor(() => first.reports.length === 2, 10_000, 'both reports on the first stream');
  assert.deepEqual(first.reports[0], { reportId: 'p-1', event: { $case: 'delivery', value: delivery('m1').delivery } });
  first.ack(r1);
  await waitFor(() => server.stats().reportsAcked === 1, 10_000, 'ack stored');
  assert.equal(server.stats().reportsUnacked, 1);
  first.call.cancel();
  await waitFor(() => server.stats().reportsPending === 1, 10_000, 'unacked report back to pending');

  const second = openReports(client);
  await waitFor(() => second.reports.length >= 1, 10_000, 'resend on the second stream');
  const r3 = server.report({ inbound: { channel: Channel.CHANNEL_SMS, from: '+821099998888', to: '1588', body: 'STOP', inReplyToMessageId: 'm1', receivedAtMs: 2 } });
  await waitFor(() => second.reports.length === 2, 10_000, 'new report on the second stream');
  assert.deepEqual(second.ids(), [r2, r3]);
  assert.equal(second.reports[1]?.event?.$case, 'inbound');
  second.ack(r2, r3);
  await waitFor(() => server.stats().reportsAcked === 3, 10_000, 'all acked');
  assert.equal(server.stats().reportsUnacked, 0);
  second.call.cancel();
});

test('reports are spread over all connected Reports streams', async (t) => {
  const { client, server } = await start(t, recordingHandler());
  const a = openReports(client);
  const b = openReports(client);
  let n = 0;
  await waitFor(
    async () => {
      server.report(delivery(`m${++n}`));
      await sleep(20);
      return a.reports.length > 0 && b.reports.length > 0;
    },
    10_000,
    'both streams carry reports',
  );
  assert.equal(new Set([...a.ids(), ...b.ids()]).size, a.reports.length + b.reports.length, 'no report on two streams');
  a.call.cancel();
  b.call.cancel();
});

test('past maxPendingReports the oldest report is dropped and counted', async (t) => {
  const { client, server } = await start(t, recordingHandler(), { maxPendingReports: 2, reportIdPrefix: 'q' });
  server.report(delivery('m1'));
  server.report(delivery('m2'));
  server.report(delivery('m3'));
  assert.equal(server.stats().reportsDropped, 1);
  assert.equal(server.stats().reportsPending, 2);

  const stream = openReports(client);
  await waitFor(() => stream.reports.length === 2, 10_000, 'the kept reports');
  assert.deepEqual(stream.ids(), ['q-2', 'q-3']);
  stream.call.cancel();
});

test('pending reports go out oldest first, each once, across frames, with more reported meanwhile and acks freeing room', async (t) => {
  const { client, server } = await start(t, recordingHandler(), { maxReportsPerFrame: 100, maxUnackedPerStream: 250, reportIdPrefix: 'o' });
  for (let i = 1; i <= 1000; i++) server.report(delivery(`m${i}`));
  const stream = openReports(client);
  await waitFor(() => stream.reports.length === 250, 10_000, 'the first 250 (the unacked limit)');
  // More come in while the oldest wait; an ack frees room for the next frames.
  for (let i = 1001; i <= 1200; i++) server.report(delivery(`m${i}`));
  for (let acked = 0; acked < 1200; acked += 250) {
    await waitFor(() => stream.reports.length >= Math.min(1200, acked + 250), 10_000, `reports after ${acked} acked`);
    stream.ack(...stream.ids().slice(acked, acked + 250));
  }
  await waitFor(() => server.stats().reportsAcked === 1200, 10_000, 'every report acked');
  assert.deepEqual(stream.ids(), Array.from({ length: 1200 }, (_, i) => `o-${i + 1}`));
  assert.equal(server.stats().reportsPending, 0);
  stream.call.cancel();
});

test('close() ends open streams and resolves', async (t) => {
  const { client, server } = await start(t, recordingHandler());
  openReports(client);
  const submit = client.submit();
  const submitEnded = new Promise<void>((resolve) => {
    submit.on('error', () => resolve());
    submit.on('end', () => resolve());
  });
  submit.on('data', () => {});
  submit.write({ messages: [message('a')] });
  await waitFor(() => server.stats().received === 1, 10_000, 'message received');

  await server.close(5000);
  await submitEnded;
});

test('a message past its expires_at_ms is rejected EXPIRED without reaching the handler; one without a limit is not', async (t) => {
  const handler = recordingHandler();
  const { client, server } = await start(t, handler);

  const expired = { ...message('old'), expiresAtMs: Date.now() - 1000 };
  const current = { ...message('new'), expiresAtMs: Date.now() + 60_000 };
  const [results] = await submitFrames(client, [[expired, current, message('open')]]);

  assert.deepEqual(handler.batches, [['new', 'open']]);
  const old = results?.find((r) => r.messageId === 'old');
  assert.equal(old?.outcome?.$case, 'rejected');
  assert.equal(old.outcome.value.code, 'EXPIRED');
  assert.equal(old.outcome.value.retryable, false);
  assert.equal(accepted(results?.find((r) => r.messageId === 'new')), 'ref-new');
  assert.deepEqual([server.stats().accepted, server.stats().rejected], [2, 1]);
});

test('accept() and reject() build the outcomes a handler returns; isE164 tells phone recipients apart', async (t) => {
  const handler = recordingHandler();
  handler.submit = async (messages) =>
    messages.map((m) => (isE164(m.recipient) ? accept(`ref-${m.messageId}`) : reject('INVALID_NUMBER', `${m.recipient} is not E.164`, false)));
  const { client } = await start(t, handler);

  const [results] = await submitFrames(client, [[message('good'), message('bad', '010-1234-5678')]]);

  assert.equal(accepted(results?.find((r) => r.messageId === 'good')), 'ref-good');
  assert.deepEqual(results?.find((r) => r.messageId === 'bad')?.outcome, {
    $case: 'rejected',
    value: { code: 'INVALID_NUMBER', reason: '010-1234-5678 is not E.164', retryable: false },
  });
  assert.deepEqual(['+821012345678', '+14155550100', '821012345678', '+0101234567', '+8210', '+82101234567890123'].map(isE164), [true, true, false, false, false, false]);
});

test('report() fills what a supplier leaves out: code and description empty, done_at_ms and received_at_ms now', async (t) => {
  const { client, server } = await start(t, recordingHandler());
  const before = Date.now();
  server.report({ delivery: { messageId: 'a', providerRef: 'ref-a', state: DeliveryState.DELIVERY_STATE_DELIVERED } });
  server.report({ inbound: { channel: Channel.CHANNEL_SMS, from: '+821012345678', to: '15880000', body: 'STOP' } });
  const reports = openReports(client);
  await waitFor(() => reports.reports.length === 2, 10_000, 'two reports');

  const [delivered] = reports.deliveries();
  assert.deepEqual({ ...delivered, doneAtMs: 0 }, { messageId: 'a', providerRef: 'ref-a', state: DeliveryState.DELIVERY_STATE_DELIVERED, code: '', description: '', doneAtMs: 0 });
  assert.ok((delivered?.doneAtMs ?? 0) >= before);
  const inbound = reports.reports.find((r) => r.event?.$case === 'inbound');
  assert.equal(inbound?.event?.$case, 'inbound');
  assert.equal(inbound.event.value.inReplyToMessageId, '');
  assert.ok(inbound.event.value.receivedAtMs >= before);
  reports.call.cancel();
});

test('onReportAcked hears each report id once, when a gateway acks it', async (t) => {
  const acked: string[] = [];
  const { client, server } = await start(t, recordingHandler(), { onReportAcked: (id) => acked.push(id) });
  const first = server.report(delivery('a'));
  const second = server.report(delivery('b'));
  const reports = openReports(client);
  await waitFor(() => reports.reports.length === 2, 10_000, 'two reports');

  reports.ack(first);
  reports.ack(first); // a repeated ack is not a second event
  await waitFor(() => server.stats().reportsAcked === 1, 10_000, 'the ack to arrive');
  assert.deepEqual(acked, [first]);
  reports.ack(second);
  await waitFor(() => acked.length === 2, 10_000, 'the second ack');
  assert.deepEqual(acked, [first, second]);
  reports.call.cancel();
});
