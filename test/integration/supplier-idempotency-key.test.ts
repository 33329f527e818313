// ProviderMessage.idempotency_key (RELIABILITY E2, "dups share keys"): a message sent again by
// client_ref to another site gets a new message id there, and the supplier must still be able to
// tell it is the same send. Two gateway nodes on their own memory stores stand in for two sites in
// front of one supplier; what the supplier receives is read back from the simulated supplier.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { startSimProvider, type SimProvider } from '../../src/channels/sim-provider.js';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import type { Message } from '../../src/gen/switchboard/v1/gateway.js';
import { daytimeKstClock } from '../helpers/fake-clock.js';
import { GatewayTestClient } from '../helpers/gateway-calls.js';
import { compileTestConfig, OTHER_TENANT_API_KEY, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

interface Site {
  readonly tenantA: GatewayTestClient;
  readonly tenantB: GatewayTestClient;
}

async function startSite(t: TestContext, sms: SimProvider, kakao: SimProvider): Promise<Site> {
  const raw = rawTestConfig({ sms: [sms.address], alimtalk: kakao.address });
  (raw['routing'] as Record<string, unknown>)['routes'] = [{ match: { tags: ['alert'] }, chain: ['alimtalk', 'lms'] }];
  const node = await startGatewayNode(compileTestConfig(raw), { now: daytimeKstClock() });
  const site = { tenantA: new GatewayTestClient(node.address, TEST_API_KEY), tenantB: new GatewayTestClient(node.address, OTHER_TENANT_API_KEY) };
  t.after(async () => {
    site.tenantA.close();
    site.tenantB.close();
    await node.stop();
  });
  return site;
}

/** Sends through `client` and returns the key the supplier received the message with. */
async function keyAtSupplier(client: GatewayTestClient, supplier: SimProvider, message: Partial<Message>): Promise<string> {
  const { messageId } = await client.send(message);
  await waitFor(() => supplier.receivedMessage(messageId) !== undefined, 10_000, `message ${messageId} at the supplier`);
  return supplier.receivedMessage(messageId)?.idempotencyKey ?? '';
}

test('a message replayed by client_ref to another site reaches the supplier under a new id with the same idempotency key; other sends get other keys', async (t) => {
  const sms = await startSimProvider({ id: 'sim-sms', channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS] });
  const kakao = await startSimProvider({ id: 'sim-kakao', channels: [Channel.CHANNEL_ALIMTALK] });
  const kakaoOfB = await startSimProvider({ id: 'sim-kakao-b', channels: [Channel.CHANNEL_ALIMTALK] });
  t.after(() => Promise.all([sms.close(), kakao.close(), kakaoOfB.close()]));
  // The two sites share the SMS supplier, whose reports either may read (and quarantine: this test
  // waits for receipts, not reports); the fallback below needs its AlimTalk report at site A.
  const siteA = await startSite(t, sms, kakao);
  const siteB = await startSite(t, sms, kakaoOfB);

  const approval = { clientRef: 'tx-20261127-0001', recipient: '010-1234-5678', content: { subject: '', body: '[카드승인] 12,000원' }, templateId: '', variables: {} };
  const atA = await keyAtSupplier(siteA.tenantA, sms, approval);
  // The replay: the same client_ref and message, written differently where that changes nothing.
  const atB = await keyAtSupplier(siteB.tenantA, sms, { ...approval, recipient: '+821012345678', priority: 1, tags: ['replayed'] });
  assert.match(atA, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(atB, atA, 'the replay carries the first send key');
  assert.equal(new Set(sms.received()).size, sms.received().length, 'under a message id of its own');

  const others = [
    // Another message under a reused client_ref, at a site that never saw the first.
    await keyAtSupplier(siteB.tenantA, sms, { ...approval, clientRef: 'tx-20261127-0002' }),
    await keyAtSupplier(siteA.tenantA, sms, { ...approval, clientRef: 'tx-20261127-0003' }),
    await keyAtSupplier(siteB.tenantA, sms, { ...approval, clientRef: 'tx-20261127-0003', content: { subject: '', body: '[카드취소] 12,000원' } }),
    // The same client_ref and message from another tenant.
    await keyAtSupplier(siteA.tenantB, sms, { ...approval, sender: '15990000' }),
  ];
  assert.equal(new Set([atA, ...others]).size, 5, `each send its own key: ${[atA, ...others].join(' ')}`);
  assert.equal(await keyAtSupplier(siteA.tenantA, sms, { ...approval, clientRef: '' }), '', 'no client_ref, no key: the message id is the key');

  // AlimTalk, then LMS when KakaoTalk reports the recipient has none (the sim's "0002" numbers):
  // the LMS is a new send on its channel, not a repeat of the AlimTalk.
  const alert = { clientRef: 'alert-7', recipient: '010-9876-0002', templateId: 'welcome', variables: { name: '김철수' }, tags: ['alert'] };
  const { messageId } = await siteA.tenantA.send(alert);
  await waitFor(() => sms.receivedMessage(messageId) !== undefined, 10_000, 'the fallback LMS at the supplier');
  const alimtalkKey = kakao.receivedMessage(messageId)?.idempotencyKey ?? '';
  const lmsKey = sms.receivedMessage(messageId)?.idempotencyKey ?? '';
  assert.match(alimtalkKey, /^[A-Za-z0-9_-]{22}$/);
  assert.match(lmsKey, /^[A-Za-z0-9_-]{22}$/);
  assert.notEqual(lmsKey, alimtalkKey);
});
