import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { credentials } from '@grpc/grpc-js';
import {
  Channel,
  ChannelProviderClient,
  DeliveryState,
  type Capabilities,
  type ProviderMessage,
  type SubmitResult,
} from '../../src/gen/switchboard/provider/v1/provider.js';
import { startSimProvider, type SimProvider, type SimProviderOptions } from '../../src/channels/sim-provider.js';
import { openReports, submitFrames } from '../helpers/provider-calls.js';
import { waitFor } from '../helpers/wait-for.js';

function message(messageId: string, recipient = '+821012345678', channel = Channel.CHANNEL_SMS): ProviderMessage {
  return { messageId, channel, recipient, sender: '+8215880000', subject: '', body: 'hello', attributes: {}, expiresAtMs: 0, idempotencyKey: '' };
}

async function start(t: TestContext, options: SimProviderOptions = {}): Promise<{ sim: SimProvider; client: ChannelProviderClient }> {
  const sim = await startSimProvider(options);
  const client = new ChannelProviderClient(sim.address, credentials.createInsecure());
  t.after(async () => {
    client.close();
    await sim.close();
  });
  return { sim, client };
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sim-provider-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every answer of the frames, in arrival order. */
async function submit(client: ChannelProviderClient, ...frames: ProviderMessage[][]): Promise<SubmitResult[]> {
  return (await submitFrames(client, frames)).flat();
}


test('capabilities state the configured channels and max TPS', async (t) => {
  const { client } = await start(t, { channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_ALIMTALK], maxTps: 120 });
  const capabilities = await new Promise<Capabilities>((resolve, reject) =>
    client.getCapabilities({}, (error, response) => (error ? reject(error) : resolve(response))),
  );
  assert.deepEqual(capabilities, { channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_ALIMTALK], maxTps: 120, maxBodyBytes: 0, maxInFlight: 0 });
});

test('accepted messages get a DELIVERED report carrying their provider ref', async (t) => {
  const { sim, client } = await start(t, { id: 'kt' });
  const reports = openReports(client);

  const results = await submit(client, [message('m1'), message('m2')]);
  assert.deepEqual(results.map((r) => r.outcome?.$case), ['accepted', 'accepted']);
  const refs = new Map(results.map((r) => [r.messageId, r.outcome?.$case === 'accepted' ? r.outcome.value.providerRef : '']));
  assert.match(refs.get('m1') ?? '', /^kt-/);
  assert.notEqual(refs.get('m1'), refs.get('m2'));

  await waitFor(() => reports.reports.length === 2, 10_000, 'two delivery reports');
  for (const report of reports.deliveries()) {
    assert.equal(report.state, DeliveryState.DELIVERY_STATE_DELIVERED);
    assert.equal(report.providerRef, refs.get(report.messageId));
    assert.ok(report.doneAtMs > 0);
  }
  assert.deepEqual(sim.received(), ['m1', 'm2']);
  reports.call.cancel();
});

test('reject-rate 1 rejects every message with the configured code', async (t) => {
  const { sim, client } = await start(t, { rejectRate: 1, rejectCode: 'THROTTLED', rejectRetryable: true });
  const results = await submit(client, [message('m1'), message('m2'), message('m3')]);
  assert.equal(results.length, 3);
  for (const result of results) {
    assert.equal(result.outcome?.$case, 'rejected');
    assert.equal(result.outcome.value.code, 'THROTTLED');
    assert.equal(result.outcome.value.retryable, true);
  }
  assert.equal(sim.stats().rejected, 3);
  assert.equal(sim.stats().reportsPending, 0, 'no delivery report for a rejected message');
});

test('recipient rules: ...0000 is rejected as INVALID_NUMBER, ...0001 fails delivery as UNREACHABLE', async (t) => {
  const { client } = await start(t);
  const reports = openReports(client);

  const results = await submit(client, [message('bad', '+821012340000'), message('gone', '+821012340001'), message('ok', '+821012340002')]);
  const byId = new Map(results.map((r) => [r.messageId, r.outcome]));
  assert.deepEqual(byId.get('bad'), {
    $case: 'rejected',
    value: { code: 'INVALID_NUMBER', reason: 'recipient +821012340000 does not exist', retryable: false },
  });
  assert.equal(byId.get('gone')?.$case, 'accepted');
  assert.equal(byId.get('ok')?.$case, 'accepted');

  await waitFor(() => reports.reports.length === 2, 10_000, 'two delivery reports');
  const states = new Map(reports.deliveries().map((d) => [d.messageId, [d.state, d.code]]));
  assert.deepEqual(states.get('gone'), [DeliveryState.DELIVERY_STATE_FAILED, 'UNREACHABLE']);
  assert.deepEqual(states.get('ok'), [DeliveryState.DELIVERY_STATE_DELIVERED, '']);
  reports.call.cancel();
});

test('dlr-fail-rate 1 fails every delivery with SIM_UNDELIVERABLE, after dlr-delay-ms', async (t) => {
  const { client } = await start(t, { dlrFailRate: 1, dlrDelayMs: 30 });
  const reports = openReports(client);
  await submit(client, [message('m1'), message('m2')], [message('m3')]);
  await waitFor(() => reports.reports.length === 3, 10_000, 'three delivery reports');
  for (const report of reports.deliveries()) {
    assert.equal(report.state, DeliveryState.DELIVERY_STATE_FAILED);
    assert.equal(report.code, 'SIM_UNDELIVERABLE');
  }
  reports.call.cancel();
});

test('the same seed gives the same rejects', async (t) => {
  const messages = Array.from({ length: 40 }, (_, i) => message(`m${i}`));
  const outcomes: string[][] = [];
  for (let run = 0; run < 2; run++) {
    const { client } = await start(t, { seed: 42, rejectRate: 0.5 });
    const results = await submit(client, messages);
    outcomes.push(results.map((r) => r.outcome?.$case ?? 'none'));
  }
  assert.deepEqual(outcomes[0], outcomes[1]);
  assert.ok(outcomes[0]?.includes('accepted') && outcomes[0].includes('rejected'), 'a rate of 0.5 gives both outcomes');
});

test('a resent message id gets the same provider ref, one delivery report, and a dup ledger line', async (t) => {
  const ledgerPath = join(await tempDir(t), 'ledger.tsv');
  const { sim, client } = await start(t, { ledgerPath });
  const reports = openReports(client);

  const [first] = await submit(client, [message('m1', '+821011112222', Channel.CHANNEL_ALIMTALK)]);
  const [again] = await submit(client, [message('m1', '+821011112222', Channel.CHANNEL_ALIMTALK)]);
  assert.equal(first?.outcome?.$case, 'accepted');
  assert.deepEqual(again, first);
  assert.deepEqual(sim.received(), ['m1', 'm1']);
  assert.equal(sim.stats().duplicates, 1);

  await waitFor(() => reports.reports.length === 1, 10_000, 'one delivery report');
  reports.call.cancel();
  await sim.close();

  const lines = (await readFile(ledgerPath, 'utf8')).split('\n');
  assert.equal(lines.pop(), '', 'every line ends with a newline');
  assert.deepEqual(lines.map((line) => line.split('\t').slice(1)), [
    ['m1', '+821011112222', 'alimtalk', 'new', ''],
    ['m1', '+821011112222', 'alimtalk', 'dup', ''],
  ]);
  for (const line of lines) assert.match(line.split('\t')[0] ?? '', /^\d{13}$/);
});

test('the ledger has one line per received message, in order', async (t) => {
  const ledgerPath = join(await tempDir(t), 'ledger.tsv');
  const { sim, client } = await start(t, { ledgerPath, recordIds: false });
  await submit(client, [message('a', '+821000000001'), { ...message('b', '+821000000002'), idempotencyKey: 'key-of-b' }], [message('c', '+821000000000')]);
  await sim.close();

  const rows = (await readFile(ledgerPath, 'utf8')).replace(/\n$/, '').split('\n').map((line) => line.split('\t'));
  assert.deepEqual(rows.map((row) => row.slice(1)), [
    ['a', '+821000000001', 'sms', 'new', ''],
    ['b', '+821000000002', 'sms', 'new', 'key-of-b'],
    ['c', '+821000000000', 'sms', 'new', ''],
  ]);
  assert.deepEqual(sim.received(), [], 'recordIds false keeps no ids');
});

test('every message of a frame is in the ledger file by the time its answer arrives (a kill after answering loses no line)', async (t) => {
  const ledgerPath = join(await tempDir(t), 'ledger.tsv');
  const { client } = await start(t, { ledgerPath, recordIds: false });
  const call = client.submit();
  t.after(() => call.cancel());
  call.on('error', () => {});
  for (let frame = 0; frame < 20; frame++) {
    const ids = Array.from({ length: 50 }, (_, i) => `f${frame}-${i}`);
    const answered = new Promise<string>((resolve) => call.once('data', () => resolve(readFileSync(ledgerPath, 'utf8'))));
    call.write({ messages: ids.map((id) => message(id)) });
    const onFile = await answered; // read synchronously on the answer's arrival, as a bench reads after a SIGKILL
    for (const id of ids) assert.ok(onFile.includes(`\t${id}\t`), `frame ${frame}: ${id} answered before it was on file`);
  }
});

test('an unacked delivery report is resent on a new Reports stream; an acked one is not', async (t) => {
  const { sim, client } = await start(t);
  const first = openReports(client);
  await submit(client, [message('m1'), message('m2')]);
  await waitFor(() => first.reports.length === 2, 10_000, 'two reports on the first stream');
  const [acked, unacked] = first.reports;
  assert.ok(acked && unacked);
  first.ack(acked.reportId);

  // Cancelling right after writing the ack would race it; wait until the sim has it.
  await waitFor(() => sim.stats().reportsAcked === 1, 10_000, 'ack seen');
  first.call.cancel();
  await waitFor(() => sim.stats().reportsPending === 1, 10_000, 'unacked report back to pending');
  const second = openReports(client);
  await waitFor(() => second.reports.length >= 1, 10_000, 'resend on the second stream');
  await submit(client, [message('m3')]);
  await waitFor(() => second.deliveries().some((d) => d.messageId === 'm3'), 10_000, 'the next report');
  assert.deepEqual(second.deliveries().map((d) => d.messageId), ['m2', 'm3']);
  assert.equal(second.reports[0]?.reportId, unacked.reportId, 'a resend keeps its report id');
  second.call.cancel();
});

test('reportInbound sends an inbound message on the first configured channel', async (t) => {
  const { sim, client } = await start(t, { channels: [Channel.CHANNEL_LMS, Channel.CHANNEL_SMS] });
  const reports = openReports(client);
  const reportId = sim.reportInbound('+821099998888', '15880000', 'STOP', 'm7');
  await waitFor(() => reports.reports.length === 1, 10_000, 'the inbound report');
  const [report] = reports.reports;
  assert.equal(report?.reportId, reportId);
  assert.equal(report.event?.$case, 'inbound');
  assert.deepEqual({ ...report.event.value, receivedAtMs: 0 }, {
    channel: Channel.CHANNEL_LMS, from: '+821099998888', to: '15880000', body: 'STOP', inReplyToMessageId: 'm7', receivedAtMs: 0,
  });
  reports.call.cancel();
});

test('forceClose drops open streams without taking the process down', async (t) => {
  const { sim, client } = await start(t, { latencyMs: 50 });
  const call = client.submit();
  const failed = new Promise<void>((resolve) => call.on('error', () => resolve()));
  call.on('data', () => {});
  call.write({ messages: [message('m1')] });
  await waitFor(() => sim.received().length === 1, 10_000, 'message received');
  sim.forceClose();
  await failed;
});

test('a recipient that is not E.164 is rejected as INVALID_NUMBER, permanently', async (t) => {
  const { client } = await start(t);
  const [result] = await submit(client, [message('domestic', '010-1234-5678')]);
  assert.deepEqual(result?.outcome, {
    $case: 'rejected',
    value: { code: 'INVALID_NUMBER', reason: 'recipient "010-1234-5678" is not an E.164 number', retryable: false },
  });
});
