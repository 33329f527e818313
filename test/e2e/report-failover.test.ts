// Report-driven failover, end to end through gRPC with simulated suppliers: a supplier that sends
// no final delivery report within the channel's routing.reportTimeouts loses the message to the
// next supplier of the channel (same message_id), else to the next channel of the chain, else it
// ends FAILED REPORT_TIMEOUT; a failure code in routing.retryElsewhereCodes goes to another
// supplier of the channel; the first supplier's late report is kept in the history only. The
// report deadlines are on a fake clock (startGatewayNode's `now`), so no test waits a timeout out.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { startSimProvider, type SimProvider, type SimProviderOptions } from '../../src/channels/sim-provider.js';
import { startGatewayNode, type GatewayNode } from '../../src/gateway/gateway-node.js';
import { Channel as ProviderChannel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { Channel, MessageState, type MessageStatus } from '../../src/gen/switchboard/v1/gateway.js';
import { createFakeClock, type FakeClock } from '../helpers/fake-clock.js';
import { GatewayTestClient, stateName } from '../helpers/gateway-calls.js';
import { startRedis } from '../helpers/redis.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

/** "...0005": the sims started with it withhold that recipient's delivery report (until released). */
const QUIET = '0005';
const LMS_VARIANT = { subject: '[가입 안내]', body: '{{name}}님, 가입을 환영합니다.' };

interface Setup {
  readonly sims: Record<string, SimProvider>;
  readonly nodes: GatewayNode[];
  readonly clients: GatewayTestClient[];
  readonly clock: FakeClock;
}

/**
 * Starts the named sims, then `nodeCount` gateway nodes on one config (kakao-a before kakao-b on
 * AlimTalk, sms-0 before sms-1 on SMS/LMS, by priority group) and a fake clock they share.
 */
async function setUp(
  t: TestContext,
  sims: Record<string, { channels: ProviderChannel[] } & Partial<SimProviderOptions>>,
  configure: (raw: Record<string, any>) => void,
  nodeCount = 1,
): Promise<Setup> {
  const started: Record<string, SimProvider> = {};
  for (const [id, options] of Object.entries(sims)) {
    started[id] = await startSimProvider({ id, ...options });
    t.after(() => started[id]!.close());
  }
  const raw: Record<string, any> = rawTestConfig({ sms: [] });
  raw['providers'] = Object.entries(sims).map(([id, options]) => ({
    id,
    kind: 'grpc',
    address: started[id]!.address,
    channels: options.channels.map((c) => ProviderChannel[c].replace('CHANNEL_', '').toLowerCase()),
    connectTimeout: '300ms',
    reconnectBackoff: '50ms',
  }));
  const on = (channel: string) => raw['providers'].filter((p: any) => p.channels.includes(channel)).map((p: any, group: number) => ({ provider: p.id, group }));
  raw['routing'] = { defaultChannel: 'sms', channels: Object.fromEntries(['sms', 'lms', 'alimtalk'].map((c) => [c, on(c)]).filter(([, list]) => list.length > 0)) };
  raw['templates'][0].channels.lms = LMS_VARIANT;
  configure(raw);
  const config = compileTestConfig(raw);
  const clock = createFakeClock(Date.now());
  const nodes: GatewayNode[] = [];
  const clients: GatewayTestClient[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const node = await startGatewayNode(config, { now: clock.now, reportSweepIntervalMs: 20 });
    const client = new GatewayTestClient(node.address, TEST_API_KEY);
    nodes.push(node);
    clients.push(client);
    t.after(async () => {
      client.close();
      await node.stop();
    });
  }
  return { sims: started, nodes, clients, clock };
}

async function waitForState(client: GatewayTestClient, messageId: string, state: MessageState): Promise<MessageStatus> {
  let status = await client.getStatus(messageId);
  await waitFor(async () => (status = await client.getStatus(messageId)).state === state, 10_000, `${messageId} to be ${stateName(state)}`).catch((error: Error) => {
    throw new Error(`${error.message}; history: ${steps(status).join(', ')}`);
  });
  return status;
}

const steps = (status: MessageStatus) => status.history.map((e) => `${stateName(e.state)} ${Channel[e.channel].replace('CHANNEL_', '').toLowerCase()} ${e.providerId}`.trim());

test('no report within the AlimTalk timeout: the second AlimTalk supplier gets it under the same id, its report delivers it, the late first report only joins the history', async (t) => {
  const { sims, clients, clock } = await setUp(
    t,
    {
      'kakao-a': { channels: [ProviderChannel.CHANNEL_ALIMTALK], withholdReportsFor: [QUIET] },
      'kakao-b': { channels: [ProviderChannel.CHANNEL_ALIMTALK] },
      'sms-0': { channels: [ProviderChannel.CHANNEL_SMS, ProviderChannel.CHANNEL_LMS] },
    },
    (raw) => {
      raw['routing'].routes = [{ name: 'kakao-first', chain: ['alimtalk', 'lms'] }];
      raw['routing'].reportTimeouts = { alimtalk: '30s' };
    },
  );
  const client = clients[0]!;
  const { messageId } = await client.send({ recipient: `010-1234-${QUIET}` });
  await waitForState(client, messageId, MessageState.MESSAGE_STATE_SUBMITTED);
  // Not yet due: nothing moves.
  clock.set(clock.now() + 29_000);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal((await client.getStatus(messageId)).state, MessageState.MESSAGE_STATE_SUBMITTED);

  clock.set(clock.now() + 2_000);
  const status = await waitForState(client, messageId, MessageState.MESSAGE_STATE_DELIVERED);
  assert.deepEqual(steps(status), [
    'ACCEPTED unspecified',
    'ROUTED alimtalk kakao-a',
    'SUBMITTED alimtalk kakao-a',
    'FALLBACK alimtalk kakao-a',
    'ROUTED alimtalk kakao-b',
    'SUBMITTED alimtalk kakao-b',
    'DELIVERED unspecified kakao-b',
  ]);
  const fallback = status.history[3];
  assert.equal(fallback?.code, 'REPORT_TIMEOUT');
  assert.equal(fallback?.reason, 'alimtalk via "kakao-a" failed (REPORT_TIMEOUT: no final delivery report from "kakao-a" within 30s); trying another supplier of alimtalk');
  assert.match(fallback?.why ?? '', /^supplier failover on alimtalk: "kakao-a" > "kakao-b"/);
  assert.deepEqual(sims['kakao-a']!.received(), [messageId]);
  assert.deepEqual(sims['kakao-b']!.received(), [messageId]);

  // kakao-a's report finally comes: on record, the state stays, nothing is sent again.
  assert.equal(sims['kakao-a']!.releaseWithheldReports(), 1);
  let after = status;
  await waitFor(async () => (after = await client.getStatus(messageId)).history.length === 8, 10_000, 'the late report in the history');
  assert.equal(after.state, MessageState.MESSAGE_STATE_DELIVERED);
  const late = after.history[7];
  assert.deepEqual([stateName(late!.state), late!.providerId], ['DELIVERED', 'kakao-a']);
  assert.match(late?.why ?? '', /^late report from "kakao-a"/);
  clock.set(clock.now() + 120_000);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual([sims['kakao-a']!.received().length, sims['kakao-b']!.received().length, sims['sms-0']!.received().length], [1, 1, 0]);
  assert.equal((await client.getStatus(messageId)).history.length, 8);
});

test('on a chain [alimtalk, lms] a report timeout moves the message to LMS; the late AlimTalk report does not change its state', async (t) => {
  const { sims, clients, clock } = await setUp(
    t,
    {
      kakao: { channels: [ProviderChannel.CHANNEL_ALIMTALK], withholdReportsFor: [QUIET] },
      // LMS reports come later, so the late AlimTalk report arrives while LMS is in flight.
      'sms-0': { channels: [ProviderChannel.CHANNEL_SMS, ProviderChannel.CHANNEL_LMS], dlrDelayMs: 1500 },
    },
    (raw) => {
      raw['routing'].routes = [{ name: 'kakao-first', chain: ['alimtalk', 'lms'] }];
      raw['routing'].reportTimeouts = { alimtalk: '30s' };
    },
  );
  const client = clients[0]!;
  const { messageId } = await client.send({ recipient: `010-2222-${QUIET}`, variables: { name: '김민지' } });
  await waitForState(client, messageId, MessageState.MESSAGE_STATE_SUBMITTED);
  clock.set(clock.now() + 31_000);
  await waitFor(async () => (await client.getStatus(messageId)).history.some((e) => e.channel === Channel.CHANNEL_LMS && e.state === MessageState.MESSAGE_STATE_SUBMITTED), 10_000, 'SUBMITTED on LMS');
  sims['kakao']!.releaseWithheldReports();
  let status = await client.getStatus(messageId);
  await waitFor(async () => (status = await client.getStatus(messageId)).history.some((e) => e.providerId === 'kakao' && e.state === MessageState.MESSAGE_STATE_DELIVERED), 10_000, 'the late AlimTalk report');
  assert.equal(status.state, MessageState.MESSAGE_STATE_SUBMITTED, 'the late AlimTalk DELIVERED must not end the LMS attempt');
  status = await waitForState(client, messageId, MessageState.MESSAGE_STATE_DELIVERED);
  assert.deepEqual(steps(status), [
    'ACCEPTED unspecified',
    'ROUTED alimtalk kakao',
    'SUBMITTED alimtalk kakao',
    'FALLBACK alimtalk kakao',
    'ROUTED lms sms-0',
    'SUBMITTED lms sms-0',
    'DELIVERED unspecified kakao',
    'DELIVERED unspecified sms-0',
  ]);
  assert.equal(status.history[3]?.reason, 'alimtalk failed (REPORT_TIMEOUT: no final delivery report from "kakao" within 30s); falling back to lms');
  assert.equal(sims['sms-0']!.receivedMessage(messageId)?.subject, LMS_VARIANT.subject);
  assert.deepEqual([sims['kakao']!.received(), sims['sms-0']!.received()], [[messageId], [messageId]]);
});

test('a failure code retryable elsewhere goes to the other supplier of the channel; other codes and the last supplier end FAILED', async (t) => {
  const { sims, clients, clock } = await setUp(
    t,
    {
      'sms-0': { channels: [ProviderChannel.CHANNEL_SMS], dlrFailRate: 1, withholdReportsFor: [QUIET] },
      'sms-1': { channels: [ProviderChannel.CHANNEL_SMS], withholdReportsFor: [QUIET] },
    },
    (raw) => {
      raw['routing'].retryElsewhereCodes = { sms: ['SIM_UNDELIVERABLE'] };
      raw['routing'].reportTimeouts = { sms: '10m' };
    },
  );
  const client = clients[0]!;
  const content = { body: '배송이 시작되었습니다', subject: '' };
  // sms-0 reports SIM_UNDELIVERABLE (retryable elsewhere): sms-1 delivers it.
  const moved = await client.send({ recipient: '010-3333-1234', content });
  const status = await waitForState(client, moved.messageId, MessageState.MESSAGE_STATE_DELIVERED);
  assert.deepEqual(steps(status), ['ACCEPTED unspecified', 'ROUTED sms sms-0', 'SUBMITTED sms sms-0', 'FALLBACK sms sms-0', 'ROUTED sms sms-1', 'SUBMITTED sms sms-1', 'DELIVERED unspecified sms-1']);
  assert.equal(status.history[3]?.code, 'SIM_UNDELIVERABLE');

  // "...0001": UNREACHABLE is not retryable elsewhere: FAILED on sms-0, sms-1 never sees it.
  const failed = await client.send({ recipient: '010-3333-0001', content });
  const failedStatus = await waitForState(client, failed.messageId, MessageState.MESSAGE_STATE_FAILED);
  assert.deepEqual(steps(failedStatus), ['ACCEPTED unspecified', 'ROUTED sms sms-0', 'SUBMITTED sms sms-0', 'FAILED unspecified sms-0']);
  assert.equal(sims['sms-1']!.receivedMessage(failed.messageId), undefined);

  // Both suppliers stay quiet past the 10 minutes: the second timeout has nowhere left to go.
  const quiet = await client.send({ recipient: `010-3333-${QUIET}`, content });
  await waitForState(client, quiet.messageId, MessageState.MESSAGE_STATE_SUBMITTED);
  clock.set(clock.now() + 601_000);
  await waitFor(async () => (await client.getStatus(quiet.messageId)).history.filter((e) => e.state === MessageState.MESSAGE_STATE_SUBMITTED).length === 2, 10_000, 'the resubmit to sms-1');
  clock.set(clock.now() + 601_000);
  const quietStatus = await waitForState(client, quiet.messageId, MessageState.MESSAGE_STATE_FAILED);
  const last = quietStatus.history.at(-1);
  assert.deepEqual([last?.code, last?.providerId, last?.reason], ['REPORT_TIMEOUT', 'sms-1', 'no final delivery report from "sms-1" within 10m, and no other supplier of sms or channel after it']);
  assert.deepEqual([sims['sms-0']!.received().filter((id) => id === quiet.messageId).length, sims['sms-1']!.received().filter((id) => id === quiet.messageId).length], [1, 1]);
});

test('on the Redis store with two gateway nodes, each timed-out message moves exactly once', async (t) => {
  const redis = await startRedis();
  const { sims, clients, clock } = await setUp(
    t,
    {
      'kakao-a': { channels: [ProviderChannel.CHANNEL_ALIMTALK], withholdReportsFor: [QUIET] },
      'kakao-b': { channels: [ProviderChannel.CHANNEL_ALIMTALK] },
    },
    (raw) => {
      raw['store'] = { kind: 'redis', url: redis.url, keyPrefix: `t${randomUUID().slice(0, 8)}`, shards: 2 };
      raw['routing'].defaultChannel = 'alimtalk';
      raw['routing'].reportTimeouts = { alimtalk: '30s' };
    },
    2,
  );
  t.after(() => redis.destroy()); // after the nodes' stop (hooks run in order)
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push((await clients[i % 2]!.send({ recipient: `010-44${String(i).padStart(2, '0')}-${QUIET}` })).messageId);
  for (const id of ids) await waitForState(clients[0]!, id, MessageState.MESSAGE_STATE_SUBMITTED);
  clock.set(clock.now() + 31_000);
  // From here the fake clock runs (5x): the Redis store paces its delayed-queue moves on the clock it is given.
  const ticker = setInterval(() => clock.set(clock.now() + 50), 10);
  t.after(() => clearInterval(ticker));
  for (const id of ids) {
    const status = await waitForState(clients[1]!, id, MessageState.MESSAGE_STATE_DELIVERED);
    assert.deepEqual(steps(status).slice(3), ['FALLBACK alimtalk kakao-a', 'ROUTED alimtalk kakao-b', 'SUBMITTED alimtalk kakao-b', 'DELIVERED unspecified kakao-b'], id);
  }
  // The late reports from kakao-a: one history entry each, no state change, nothing sent again.
  sims['kakao-a']!.releaseWithheldReports();
  for (const id of ids) {
    await waitFor(async () => (await clients[0]!.getStatus(id)).history.length === 8, 10_000, `the late report of ${id}`);
  }
  clock.set(clock.now() + 120_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual([...sims['kakao-a']!.received()].sort(), [...ids].sort());
  assert.deepEqual([...sims['kakao-b']!.received()].sort(), [...ids].sort());
  for (const id of ids) {
    const status = await clients[1]!.getStatus(id);
    assert.equal(status.state, MessageState.MESSAGE_STATE_DELIVERED);
    assert.equal(status.history.length, 8);
  }
});
