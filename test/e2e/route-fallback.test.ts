// Routes with channel chains and fallback, end to end through gRPC with simulated suppliers
// (see the recipient rules in src/channels/sim-provider.ts): AlimTalk reported undeliverable falls
// back to LMS with the LMS text, exactly once; a FriendTalk refusal falls back too; the chain ends
// FAILED with the last reason; a reload that moves a route applies to the next message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSimProvider } from '../../src/channels/sim-provider.js';
import { Channel as ProviderChannel, DeliveryState } from '../../src/gen/switchboard/provider/v1/provider.js';
import { Channel, MessageState, type MessageStatus } from '../../src/gen/switchboard/v1/gateway.js';
import { stateName, type GatewayTestClient } from '../helpers/gateway-calls.js';
import { compileTestConfig, rawTestConfig } from '../helpers/test-config.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';
import { startRedis } from '../helpers/redis.js';
import { randomUUID } from 'node:crypto';

const LMS_VARIANT = { subject: '[가입 안내]', body: '{{name}}님, Switchboard 가입을 환영합니다. 앞으로 알림은 이 번호로 보내 드립니다.' };

/** tenant-a's messages go AlimTalk first, then LMS; the welcome template gets an LMS variant. */
function kakaoFirst(raw: Record<string, any>): void {
  raw['routing'].routes = [{ name: 'kakao-first', match: { tenants: ['tenant-a'] }, chain: ['alimtalk', 'lms'] }];
  raw['templates'][0].channels.lms = LMS_VARIANT;
}

async function finalStatus(client: GatewayTestClient, messageId: string): Promise<MessageStatus> {
  let status = await client.getStatus(messageId);
  await waitFor(async () => {
    status = await client.getStatus(messageId);
    return status.state === MessageState.MESSAGE_STATE_DELIVERED || status.state === MessageState.MESSAGE_STATE_FAILED;
  });
  return status;
}

const steps = (status: MessageStatus) => status.history.map((e) => `${stateName(e.state)} ${Channel[e.channel].replace('CHANNEL_', '').toLowerCase()}`);

test('AlimTalk reported undeliverable falls back to LMS with the LMS text, once, under the same message id', async (t) => {
  const gw = await startTestGateway({}, kakaoFirst);
  t.after(() => gw.stop());
  // "...0002": the AlimTalk sim reports NO_KAKAOTALK, twice (a resent report).
  const { messageId } = await gw.client.send({ recipient: '010-1234-0002', variables: { name: '김민지' } });
  const status = await finalStatus(gw.client, messageId);
  assert.deepEqual(steps(status), ['ACCEPTED unspecified', 'ROUTED alimtalk', 'SUBMITTED alimtalk', 'FALLBACK alimtalk', 'ROUTED lms', 'SUBMITTED lms', 'DELIVERED unspecified']);

  const [routedKakao, , fallback, routedLms] = status.history.slice(1);
  assert.match(routedKakao?.why ?? '', /^route "kakao-first" matched \(tenant tenant-a\); chain alimtalk > lms; provider "kakao": /);
  assert.equal(fallback?.code, 'NO_KAKAOTALK');
  // The supplier's text names the recipient; the gateway stores it masked.
  assert.equal(fallback?.reason, 'alimtalk failed (NO_KAKAOTALK: recipient +82****0002 has no KakaoTalk); falling back to lms');
  assert.equal(fallback?.why, 'fallback step 1 of route "kakao-first": alimtalk > lms');
  assert.match(routedLms?.why ?? '', /^fallback step 1 of route "kakao-first": alimtalk failed \(NO_KAKAOTALK: .*\); chain now lms; provider "sms-0": /);

  const sent = gw.sms.receivedMessage(messageId);
  assert.equal(sent?.channel, ProviderChannel.CHANNEL_LMS);
  assert.equal(sent?.subject, LMS_VARIANT.subject);
  assert.equal(sent?.body, '김민지님, Switchboard 가입을 환영합니다. 앞으로 알림은 이 번호로 보내 드립니다.');
  // The resent failure report was seen and dropped: one LMS, not two.
  await waitFor(() => (gw.node.ingestStats.supersededFailures ?? 0) >= 1, 5000, 'the second NO_KAKAOTALK report to be ingested');
  assert.deepEqual(gw.kakao.received(), [messageId]);
  assert.deepEqual(gw.sms.received(), [messageId]);
  assert.equal((await gw.client.getStatus(messageId)).history.filter((e) => e.state === MessageState.MESSAGE_STATE_FALLBACK).length, 1);
});

test('RELIABILITY B9: an AlimTalk template rejection falls back to SMS exactly once, with the same message id', async (t) => {
  const gw = await startTestGateway({}, (raw: Record<string, any>) => {
    raw['routing'].routes = [{ name: 'kakao-then-sms', chain: ['alimtalk', 'sms'] }];
  });
  t.after(() => gw.stop());
  // "...0004": the AlimTalk sim refuses TEMPLATE_MISMATCH at submit.
  const { messageId } = await gw.client.send({ recipient: '010-1234-0004', variables: { name: 'Kim' } });
  const status = await finalStatus(gw.client, messageId);
  assert.deepEqual(steps(status), ['ACCEPTED unspecified', 'ROUTED alimtalk', 'FALLBACK alimtalk', 'ROUTED sms', 'SUBMITTED sms', 'DELIVERED unspecified']);
  assert.equal(status.history[2]?.code, 'TEMPLATE_MISMATCH');
  assert.deepEqual(gw.kakao.received(), [messageId]);
  assert.deepEqual(gw.sms.received(), [messageId]);
  // The SMS carries the template's default text, not the AlimTalk variant.
  assert.deepEqual([gw.sms.receivedMessage(messageId)?.channel, gw.sms.receivedMessage(messageId)?.body], [ProviderChannel.CHANNEL_SMS, 'Kim님, 환영합니다.']);
});

test('on the Redis store with a worker-thread router, an undeliverable AlimTalk falls back to LMS once', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.destroy());
  const gw = await startTestGateway({}, (raw: Record<string, any>) => {
    kakaoFirst(raw);
    raw['store'] = { kind: 'redis', url: redis.url, keyPrefix: `t${randomUUID().slice(0, 8)}`, shards: 2 };
    raw['router'] = { workers: 1 };
  });
  t.after(() => gw.stop());
  const { messageId } = await gw.client.send({ recipient: '010-1234-0002', variables: { name: '김민지' } });
  const status = await finalStatus(gw.client, messageId);
  assert.deepEqual(steps(status), ['ACCEPTED unspecified', 'ROUTED alimtalk', 'SUBMITTED alimtalk', 'FALLBACK alimtalk', 'ROUTED lms', 'SUBMITTED lms', 'DELIVERED unspecified']);
  await waitFor(() => (gw.node.ingestStats.supersededFailures ?? 0) >= 1, 5000, 'the second NO_KAKAOTALK report to be ingested');
  assert.deepEqual(gw.sms.received(), [messageId]);
  assert.equal(gw.sms.receivedMessage(messageId)?.subject, LMS_VARIANT.subject);
});

// A supplier's stray FAILED report for a message it also reported DELIVERED (another reference:
// a resubmission it took as a duplicate, a glitch) must not send the message again on the next
// channel: the customer has the AlimTalk, and an LMS would be a second, paid message (RELIABILITY
// B8, B9). Two ways it comes: after the delivery is recorded (the plan is gone by then), and in the
// same report frame as the delivery (the failure takes the plan before the delivery is recorded).
for (const store of ['memory', 'redis'] as const) {
  test(`on the ${store} store, a stray failure report after the delivery, or beside it, sends nothing on the next channel`, async (t) => {
    const redis = store === 'redis' ? await startRedis() : undefined;
    if (redis !== undefined) t.after(() => redis.destroy());
    const configure = (raw: Record<string, any>): void => {
      kakaoFirst(raw);
      if (redis !== undefined) raw['store'] = { kind: 'redis', url: redis.url, keyPrefix: `t${randomUUID().slice(0, 8)}`, shards: 2 };
    };
    // Recipients ending in 9999 get their delivery report only when the test releases it.
    const gw = await startTestGateway({}, configure, { withholdReportsFor: ['9999'] });
    t.after(() => gw.stop());
    const stray = (messageId: string) => ({ messageId, providerRef: 'stray-ref', state: DeliveryState.DELIVERY_STATE_FAILED, code: 'NO_KAKAOTALK', description: 'stray report' });
    const ingested = async (reports: number): Promise<void> => {
      const acked = gw.kakao.stats().reportsAcked;
      await waitFor(() => gw.kakao.stats().reportsAcked >= acked + reports, 5000, `${reports} report(s) to be ingested and acked`);
      // Past the requeue delay of a fallback (the dispatcher's retry backoff, 50 ms here) and a dispatch.
      await new Promise((resolve) => setTimeout(resolve, 500));
    };

    const after = (await gw.client.send({ recipient: '010-1234-5678', variables: { name: '김민지' } })).messageId;
    assert.equal((await finalStatus(gw.client, after)).state, MessageState.MESSAGE_STATE_DELIVERED);
    const afterIngested = ingested(1);
    gw.kakao.reportDelivery(stray(after));
    await afterIngested;

    const beside = (await gw.client.send({ recipient: '010-1234-9999', variables: { name: '김민지' } })).messageId;
    await waitFor(async () => (await gw.client.getStatus(beside)).state === MessageState.MESSAGE_STATE_SUBMITTED, 5000, 'the AlimTalk submit');
    const besideIngested = ingested(2);
    // In one turn: the SDK sends both in one frame, the delivery first.
    assert.equal(gw.kakao.releaseWithheldReports(), 1);
    gw.kakao.reportDelivery(stray(beside));
    await besideIngested;

    assert.deepEqual(gw.sms.received(), [], 'no LMS sent');
    assert.deepEqual(gw.kakao.received(), [after, beside]);
    // On record as it came, after the delivery; no FALLBACK that did not happen.
    for (const messageId of [after, beside]) {
      const status = await gw.client.getStatus(messageId);
      assert.equal(status.state, MessageState.MESSAGE_STATE_DELIVERED);
      assert.deepEqual(steps(status), ['ACCEPTED unspecified', 'ROUTED alimtalk', 'SUBMITTED alimtalk', 'DELIVERED unspecified', 'FAILED unspecified'], messageId);
      assert.equal(status.history.at(-1)?.code, 'NO_KAKAOTALK');
    }
    // The one that took the plan says why it moved nothing.
    assert.equal((await gw.client.getStatus(beside)).history.at(-1)?.why, 'failure report from "kakao" after the message was final: nothing moved; its state is unchanged');
  });
}

test('the chain ends FAILED with the reason of its last channel', async (t) => {
  const gw = await startTestGateway({}, kakaoFirst);
  t.after(() => gw.stop());
  // "...0001": every sim reports UNREACHABLE.
  const { messageId } = await gw.client.send({ recipient: '010-1234-0001' });
  const status = await finalStatus(gw.client, messageId);
  assert.deepEqual(steps(status), ['ACCEPTED unspecified', 'ROUTED alimtalk', 'SUBMITTED alimtalk', 'FALLBACK alimtalk', 'ROUTED lms', 'SUBMITTED lms', 'FAILED lms']);
  const last = status.history.at(-1);
  assert.deepEqual([last?.code, last?.reason], ['UNREACHABLE', 'recipient +82****0001 is unreachable']);
  assert.equal(last?.why, 'last channel of route "kakao-first" (step 1)');
});

test('a FriendTalk refusal for a recipient who is not a friend falls back to LMS', async (t) => {
  const friendtalk = await startSimProvider({ id: 'sim-ft', channels: [ProviderChannel.CHANNEL_FRIENDTALK] });
  t.after(() => friendtalk.close());
  const gw = await startTestGateway({}, (raw: Record<string, any>) => {
    raw['providers'].push({ id: 'ft', kind: 'grpc', address: friendtalk.address, channels: ['friendtalk'], connectTimeout: '300ms' });
    raw['routing'].channels.friendtalk = ['ft'];
    raw['routing'].routes = [{ name: 'promo', match: { tags: ['promo'] }, chain: ['friendtalk', 'lms'] }];
  });
  t.after(() => gw.stop());
  // "...0003": the FriendTalk sim refuses NOT_FRIEND at submit.
  const { messageId } = await gw.client.send({ recipient: '010-5555-0003', tags: ['promo'], content: { body: '이번 주 특가 안내', subject: '' } });
  const status = await finalStatus(gw.client, messageId);
  assert.deepEqual(steps(status), ['ACCEPTED unspecified', 'ROUTED friendtalk', 'FALLBACK friendtalk', 'ROUTED lms', 'SUBMITTED lms', 'DELIVERED unspecified']);
  assert.equal(status.history[2]?.code, 'NOT_FRIEND');
  assert.equal(gw.sms.receivedMessage(messageId)?.body, '이번 주 특가 안내');
});

test('a reload that moves a route applies to the next message', async (t) => {
  const gw = await startTestGateway({}, kakaoFirst);
  t.after(() => gw.stop());
  const first = await gw.client.send({});
  assert.equal(stateName((await finalStatus(gw.client, first.messageId)).state), 'DELIVERED');
  assert.deepEqual(gw.kakao.received(), [first.messageId]);

  const raw = rawTestConfig({ sms: [gw.sms.address], alimtalk: gw.kakao.address }) as Record<string, any>;
  raw['routing'].routes = [{ name: 'sms-only', match: { tenants: ['tenant-a'] }, chain: ['sms'] }];
  assert.equal((await gw.node.reload(compileTestConfig(raw))).ok, true);

  const second = await gw.client.send({});
  const status = await finalStatus(gw.client, second.messageId);
  assert.equal(stateName(status.state), 'DELIVERED');
  assert.deepEqual(gw.sms.received(), [second.messageId]);
  assert.deepEqual(gw.kakao.received(), [first.messageId]);
  assert.match(status.history[1]?.why ?? '', /^route "sms-only" matched/);
});
