// The advertising night window on the message path, through gRPC with simulated suppliers and a
// fake wall clock: advertising is held from 21:00 to 08:00 KST (FriendTalk from 20:00) unless the
// recipient gave night consent; a held message is reported DEFERRED and goes out once the clock passes
// 08:00, or fails with AD_NIGHT_BAN in reject mode, or expires when its TTL ends first.
//
// How a held message comes back: the dispatcher puts it back for at most dispatcher.maxDeferWait
// of real time and routes it again. These gateways set it to 50ms, so while the fake clock says
// 22:00 a held message is routed again (and held again) every 50ms, and once the test moves the
// clock to 08:00 the next pass sends it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import { startSimProvider, type SimProvider } from '../../src/channels/sim-provider.js';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { Channel as ProviderChannel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { Channel, MessageKind, MessageState, type Message, type MessageStatus } from '../../src/gen/switchboard/v1/gateway.js';
import { createFakeClock, kstMidnight, kstTime, type FakeClock } from '../helpers/fake-clock.js';
import { GatewayTestClient, stateName } from '../helpers/gateway-calls.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

/** Two days ahead of the host's date, so the host clock never finds these messages expired. */
const DAY = kstMidnight(2);
const AT_2030 = kstTime(DAY, 20, 30);
const AT_2200 = kstTime(DAY, 22);
const NEXT_0800 = kstTime(DAY, 24 + 8);
const RULE = 'advertising is not sent between 21:00 and 08:00 KST without night-time consent';

const AD: Partial<Message> = { content: { body: '봄맞이 특별 금리 이벤트', subject: '' }, kind: MessageKind.MESSAGE_KIND_ADVERTISING };
const INFO: Partial<Message> = { templateId: 'otp', variables: { code: '123456' } };

interface NightGateway {
  readonly client: GatewayTestClient;
  readonly clock: FakeClock;
  readonly sms: SimProvider;
  readonly friendtalk: SimProvider;
}

/**
 * An in-process gateway on a fake clock with a simulated SMS/LMS supplier and a simulated
 * FriendTalk supplier. One dispatcher loop, so messages sent one after another are routed in that
 * order: once a later message is SUBMITTED, an earlier one has been through the router.
 */
async function startNightGateway(t: TestContext, startMs: number, configure?: (raw: Record<string, any>) => void): Promise<NightGateway> {
  const clock = createFakeClock(startMs);
  const sms = await startSimProvider({ id: 'sim-sms', channels: [ProviderChannel.CHANNEL_SMS, ProviderChannel.CHANNEL_LMS] });
  const friendtalk = await startSimProvider({ id: 'sim-ft', channels: [ProviderChannel.CHANNEL_FRIENDTALK] });
  const raw: Record<string, any> = rawTestConfig({ sms: [sms.address] });
  raw['providers'].push({ id: 'kakao-ft', kind: 'grpc', address: friendtalk.address, channels: ['friendtalk'], connectTimeout: '300ms' });
  raw['routing'].channels.friendtalk = ['kakao-ft'];
  raw['dispatcher'] = { ...raw['dispatcher'], concurrency: 1, maxDeferWait: '50ms' };
  configure?.(raw);
  const node = await startGatewayNode(compileTestConfig(raw), { now: clock.now });
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  t.after(async () => {
    client.close();
    await node.stop();
    await Promise.all([sms.close(), friendtalk.close()]);
  });
  return { client, clock, sms, friendtalk };
}

/** Waits until the message is in `state` and returns its status. */
async function statusOnceIn(client: GatewayTestClient, messageId: string, state: MessageState): Promise<MessageStatus> {
  let status = await client.getStatus(messageId);
  await waitFor(
    async () => {
      status = await client.getStatus(messageId);
      return status.state === state;
    },
    10_000,
    `${messageId} ${stateName(state)} (it is ${stateName(status.state)})`,
  );
  return status;
}

/** Sends an informational message and waits until it is SUBMITTED: every message sent before it has been routed. */
async function sendAndWaitForSentinel(gw: NightGateway): Promise<string> {
  const sentinel = await gw.client.send(INFO);
  await statusOnceIn(gw.client, sentinel.messageId, MessageState.MESSAGE_STATE_DELIVERED);
  return sentinel.messageId;
}

/** The states of a status history, e.g. ["ACCEPTED", "ROUTED"]. */
const statesOf = (status: MessageStatus): string[] => status.history.map((e) => stateName(e.state));

function assertHeld(gw: NightGateway, status: MessageStatus, messageId: string): void {
  assert.deepEqual(statesOf(status), ['ACCEPTED', 'DEFERRED'], 'a held message is reported DEFERRED once, however often it is checked');
  assert.equal(status.state, MessageState.MESSAGE_STATE_DEFERRED);
  assert.equal(status.history[1]?.code, 'NIGHT_WINDOW');
  assert.match(status.history[1]?.reason ?? '', /08:00/);
  assert.equal(gw.sms.received().includes(messageId), false);
  assert.equal(gw.friendtalk.received().includes(messageId), false);
}

/** The deferral scenario, on any store and router setup. */
async function deferredAdGoesOutAt0800(t: TestContext, configure?: (raw: Record<string, any>) => void): Promise<void> {
  const gw = await startNightGateway(t, AT_2200, configure);
  const ad = await gw.client.send(AD);
  const sentinel = await sendAndWaitForSentinel(gw);

  // The informational message went at 22:00 and the advertising one did not.
  const info = await gw.client.getStatus(sentinel);
  assert.equal(info.history.find((e) => stateName(e.state) === 'ROUTED')?.atMs, AT_2200);
  assertHeld(gw, await gw.client.getStatus(ad.messageId), ad.messageId);

  gw.clock.set(NEXT_0800);
  const status = await statusOnceIn(gw.client, ad.messageId, MessageState.MESSAGE_STATE_DELIVERED);
  assert.deepEqual(statesOf(status), ['ACCEPTED', 'DEFERRED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);
  assert.equal(status.history[0]?.atMs, AT_2200);
  assert.equal(status.history[1]?.atMs, AT_2200);
  assert.equal(status.history[2]?.atMs, NEXT_0800, 'routed at 08:00 KST, not before');
  assert.deepEqual(gw.sms.received().filter((id) => id === ad.messageId), [ad.messageId]);
}

test('an advertising message at 22:00 KST is held (DEFERRED) and delivered once the clock reaches 08:00 KST', async (t) => {
  await deferredAdGoesOutAt0800(t);
});

test('the same on the router worker pool: the time travels with the batch to the worker', async (t) => {
  await deferredAdGoesOutAt0800(t, (raw) => (raw['router'] = { workers: 1 }));
});

describe('on the Redis store, whose retry delay runs on the injected clock', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.destroy());

  test('an advertising message at 22:00 KST is held and delivered at 08:00 KST', async (t) => {
    // One shard: one stream per priority, so messages are claimed in the order they were sent.
    await deferredAdGoesOutAt0800(t, (raw) => (raw['store'] = { kind: 'redis', url: redis.url, keyPrefix: `t${randomUUID().slice(0, 8)}`, shards: 1 }));
  });
});

test('informational messages at 22:00 KST go out at once', async (t) => {
  const gw = await startNightGateway(t, AT_2200);
  const otp = await gw.client.send(INFO);
  const plain = await gw.client.send({ content: { body: '카드 승인 12,000원', subject: '' }, kind: MessageKind.MESSAGE_KIND_INFORMATIONAL });
  for (const { messageId } of [otp, plain]) {
    const status = await statusOnceIn(gw.client, messageId, MessageState.MESSAGE_STATE_DELIVERED);
    assert.deepEqual(statesOf(status), ['ACCEPTED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);
    assert.equal(status.history[1]?.atMs, AT_2200);
  }
});

test('night_consent lets an advertising message go at 22:00 KST', async (t) => {
  const gw = await startNightGateway(t, AT_2200);
  const ad = await gw.client.send({ ...AD, nightConsent: true });
  const status = await statusOnceIn(gw.client, ad.messageId, MessageState.MESSAGE_STATE_DELIVERED);
  assert.equal(status.history[1]?.atMs, AT_2200);
  assert.deepEqual(gw.sms.received(), [ad.messageId]);
});

test('advertising before 21:00 KST goes out; at 08:00 KST it goes again', async (t) => {
  const gw = await startNightGateway(t, kstTime(DAY, 20, 59));
  const early = await gw.client.send(AD);
  await statusOnceIn(gw.client, early.messageId, MessageState.MESSAGE_STATE_DELIVERED);
  gw.clock.set(NEXT_0800);
  const morning = await gw.client.send(AD);
  await statusOnceIn(gw.client, morning.messageId, MessageState.MESSAGE_STATE_DELIVERED);
});

test('in reject mode an advertising message at 22:00 KST fails with AD_NIGHT_BAN and says when it may go', async (t) => {
  const gw = await startNightGateway(t, AT_2200, (raw) => (raw['routing'].nightBan = { mode: 'reject' }));
  const ad = await gw.client.send(AD);
  const status = await statusOnceIn(gw.client, ad.messageId, MessageState.MESSAGE_STATE_FAILED);
  assert.deepEqual(statesOf(status), ['ACCEPTED', 'FAILED']);
  const failed = status.history[1];
  assert.equal(failed?.code, 'AD_NIGHT_BAN');
  assert.equal(failed?.reason, `${RULE}; send it again from 08:00 KST`);
  assert.equal(failed?.atMs, AT_2200);
  assert.deepEqual(gw.sms.received(), []);
});

test('an advertising message whose TTL ends before 08:00 KST is EXPIRED at once instead of held', async (t) => {
  const gw = await startNightGateway(t, AT_2200);
  const ad = await gw.client.send({ ...AD, ttlMs: 3 * 3_600_000 });
  const status = await statusOnceIn(gw.client, ad.messageId, MessageState.MESSAGE_STATE_EXPIRED);
  assert.deepEqual(statesOf(status), ['ACCEPTED', 'EXPIRED']);
  assert.equal(status.history[1]?.code, 'TTL_EXPIRED');
  assert.equal(status.history[1]?.reason, `the message TTL ends before it may be sent (${RULE}; deferred to 08:00 KST)`);
  assert.deepEqual(gw.sms.received(), []);
});

test('an advertising message whose TTL outlasts the night is held, not expired', async (t) => {
  const gw = await startNightGateway(t, AT_2200);
  const ad = await gw.client.send({ ...AD, ttlMs: 11 * 3_600_000 });
  await sendAndWaitForSentinel(gw);
  assertHeld(gw, await gw.client.getStatus(ad.messageId), ad.messageId);
  gw.clock.set(NEXT_0800);
  await statusOnceIn(gw.client, ad.messageId, MessageState.MESSAGE_STATE_DELIVERED);
});

test('FriendTalk advertising is held from 20:00 KST, night consent or not, while SMS advertising still goes', async (t) => {
  const gw = await startNightGateway(t, AT_2030);
  const friendtalk = await gw.client.send({ ...AD, channel: Channel.CHANNEL_FRIENDTALK });
  const consented = await gw.client.send({ ...AD, channel: Channel.CHANNEL_FRIENDTALK, nightConsent: true });
  const sms = await gw.client.send(AD);
  // Sent last and delivered: the FriendTalk ones before it have been through the router.
  await statusOnceIn(gw.client, sms.messageId, MessageState.MESSAGE_STATE_DELIVERED);
  for (const { messageId } of [friendtalk, consented]) assertHeld(gw, await gw.client.getStatus(messageId), messageId);

  gw.clock.set(NEXT_0800);
  for (const { messageId } of [friendtalk, consented]) {
    const status = await statusOnceIn(gw.client, messageId, MessageState.MESSAGE_STATE_DELIVERED);
    assert.equal(status.history[2]?.channel, Channel.CHANNEL_FRIENDTALK);
    assert.equal(status.history[2]?.atMs, NEXT_0800);
  }
  assert.deepEqual(gw.friendtalk.received().sort(), [friendtalk.messageId, consented.messageId].sort());
});

test('FriendTalk advertising in reject mode fails from 20:00 KST with its own rule', async (t) => {
  const gw = await startNightGateway(t, AT_2030, (raw) => (raw['routing'].nightBan = { mode: 'reject' }));
  const ad = await gw.client.send({ ...AD, channel: Channel.CHANNEL_FRIENDTALK, nightConsent: true });
  const status = await statusOnceIn(gw.client, ad.messageId, MessageState.MESSAGE_STATE_FAILED);
  assert.equal(status.history[1]?.code, 'AD_NIGHT_BAN');
  assert.equal(status.history[1]?.reason, 'FriendTalk advertising is not sent between 20:00 and 08:00 KST; send it again from 08:00 KST');
});

test('a configured window is used: with nightBan.start "23:00" advertising at 22:00 KST goes out', async (t) => {
  const gw = await startNightGateway(t, AT_2200, (raw) => (raw['routing'].nightBan = { start: '23:00' }));
  const ad = await gw.client.send(AD);
  await statusOnceIn(gw.client, ad.messageId, MessageState.MESSAGE_STATE_DELIVERED);
  gw.clock.set(kstTime(DAY, 23));
  const late = await gw.client.send(AD);
  await sendAndWaitForSentinel(gw);
  assertHeld(gw, await gw.client.getStatus(late.messageId), late.messageId);
});
