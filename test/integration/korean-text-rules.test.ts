// The Korean text rules on the message path, through gRPC: what a supplier receives for SMS/LMS
// is counted in EUC-KR bytes, never carries characters EUC-KR cannot encode, and advertising
// carries the "(광고)" header and the free opt-out line.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createProviderServer } from '../../src/channels/provider-sdk.js';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { Channel as ProviderChannel, type ProviderMessage } from '../../src/gen/switchboard/provider/v1/provider.js';
import { MessageKind, MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { daytimeKstClock } from '../helpers/fake-clock.js';
import { GatewayTestClient, stateName } from '../helpers/gateway-calls.js';
import { compileTestConfig, OTHER_TENANT_API_KEY, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

/** A supplier that accepts everything and keeps what it received, to look at the exact text. */
async function startRecordingGateway(t: TestContext, configure?: (raw: Record<string, unknown>) => void) {
  const received = new Map<string, ProviderMessage>();
  const provider = createProviderServer({
    capabilities: { channels: [ProviderChannel.CHANNEL_SMS, ProviderChannel.CHANNEL_LMS], maxTps: 0, maxBodyBytes: 0, maxInFlight: 0 },
    submit: async (messages) =>
      messages.map((m) => {
        received.set(m.messageId, m);
        return { accepted: { providerRef: `ref-${m.messageId}` } };
      }),
  });
  const port = await provider.listen('127.0.0.1', 0);
  t.after(() => provider.close());
  const raw = rawTestConfig({ sms: [`127.0.0.1:${port}`] });
  configure?.(raw);
  // At midday KST: advertising here must not be held by the night window whatever the hour of the run.
  const node = await startGatewayNode(compileTestConfig(raw), { now: daytimeKstClock() });
  t.after(() => node.stop());
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  const other = new GatewayTestClient(node.address, OTHER_TENANT_API_KEY);
  t.after(() => {
    client.close();
    other.close();
  });
  return { received, client, other };
}

async function finalStatus(client: GatewayTestClient, messageId: string) {
  let status = await client.getStatus(messageId);
  await waitFor(async () => {
    status = await client.getStatus(messageId);
    return status.state !== MessageState.MESSAGE_STATE_ACCEPTED && status.state !== MessageState.MESSAGE_STATE_ROUTED;
  });
  return status;
}

test('an SMS whose text passes 90 EUC-KR bytes goes out as LMS; one at exactly 90 stays SMS', async (t) => {
  const { received, client } = await startRecordingGateway(t);
  const at90 = await client.send({ content: { body: '가'.repeat(45), subject: '' } });
  const at92 = await client.send({ content: { body: '가'.repeat(46), subject: '안내' } });
  await finalStatus(client, at90.messageId);
  await finalStatus(client, at92.messageId);
  assert.equal(received.get(at90.messageId)?.channel, ProviderChannel.CHANNEL_SMS);
  assert.equal(received.get(at92.messageId)?.channel, ProviderChannel.CHANNEL_LMS);
  assert.equal(received.get(at92.messageId)?.subject, '안내');
  const routed = (await client.getStatus(at92.messageId)).history.find((e) => stateName(e.state) === 'ROUTED');
  assert.equal(routed?.providerId, 'sms-0');
  // The status says what the supplier bills: one LMS, not two SMS.
  assert.equal(routed?.billableUnits, 1);
  const submitted = (await client.getStatus(at92.messageId)).history.find((e) => stateName(e.state) === 'SUBMITTED');
  assert.equal(submitted?.billableUnits, 1);
  assert.equal((await client.getStatus(at92.messageId)).history[0]?.billableUnits, 0, 'nothing is billable before routing');
});

test('without LMS fallback, a long SMS fails with its byte count; past the LMS limit it fails too', async (t) => {
  const { received, client } = await startRecordingGateway(t, (raw) => {
    (raw['routing'] as Record<string, unknown>)['text'] = { lmsFallback: false };
  });
  const long = await client.send({ content: { body: `${'가'.repeat(45)}!!!!!`, subject: '' } });
  const status = await finalStatus(client, long.messageId);
  const last = status.history.at(-1);
  assert.equal(stateName(status.state), 'FAILED');
  assert.equal(last?.code, 'BODY_TOO_LONG');
  assert.equal(last?.reason, 'body is 95 bytes in EUC-KR; SMS allows 90 and this route does not allow LMS');
  assert.equal(received.has(long.messageId), false);
});

test('characters EUC-KR cannot encode fail the message by name instead of reaching the handset as "?"', async (t) => {
  const { received, client } = await startRecordingGateway(t);
  const emoji = await client.send({ content: { body: '승인 완료 😀', subject: '' } });
  const status = await finalStatus(client, emoji.messageId);
  assert.equal(stateName(status.state), 'FAILED');
  assert.equal(status.history.at(-1)?.code, 'UNENCODABLE_CHARACTERS');
  assert.match(status.history.at(-1)?.reason ?? '', /U\+1F600/);
  assert.equal(received.has(emoji.messageId), false);
});

test('with "replace", unencodable characters are replaced and look-alikes folded', async (t) => {
  const { received, client } = await startRecordingGateway(t, (raw) => {
    (raw['routing'] as Record<string, unknown>)['text'] = { unencodable: 'replace' };
  });
  const sent = await client.send({ content: { body: '잔액\u00a01,000원 😀', subject: '' } });
  assert.equal(stateName((await finalStatus(client, sent.messageId)).state), 'SUBMITTED');
  assert.equal(received.get(sent.messageId)?.body, '잔액 1,000원 ?');
});

test('advertising gets the (광고) header and the opt-out line; a tenant without an advertising identity is refused', async (t) => {
  const { received, client, other } = await startRecordingGateway(t);
  const ad = await client.send({ content: { body: '이번 주 특별 금리 안내', subject: '' }, kind: MessageKind.MESSAGE_KIND_ADVERTISING });
  await finalStatus(client, ad.messageId);
  const body = received.get(ad.messageId)?.body ?? '';
  assert.ok(body.startsWith('(광고)스위치은행'), body);
  assert.ok(body.endsWith('무료수신거부 080-123-4567'), body);

  const refused = await other.send({ content: { body: '이벤트', subject: '' }, kind: MessageKind.MESSAGE_KIND_ADVERTISING, sender: '15990000' });
  const status = await finalStatus(other, refused.messageId);
  assert.equal(stateName(status.state), 'FAILED');
  assert.equal(status.history.at(-1)?.code, 'AD_SETTINGS_MISSING');
  assert.equal(received.has(refused.messageId), false);
});

test('a replacement that EUC-KR cannot encode stops the gateway at start, naming the setting', async () => {
  const raw = rawTestConfig({ sms: ['127.0.0.1:1'] });
  (raw['routing'] as Record<string, unknown>)['text'] = { unencodable: 'replace', replacement: '😀' };
  await assert.rejects(startGatewayNode(compileTestConfig(raw)), { message: 'routing.text.replacement: U+1F600 cannot be encoded in EUC-KR' });
});
