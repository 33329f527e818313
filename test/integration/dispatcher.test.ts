import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimProvider, type SimProvider, type SimProviderOptions } from '../../src/channels/sim-provider.js';
import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { MessageState, type MessageStatus } from '../../src/gen/switchboard/v1/gateway.js';
import { freePort } from '../helpers/free-port.js';
import { makeMessage, stateName, type GatewayTestClient } from '../helpers/gateway-calls.js';
import { startGatewayForProviders, startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

/** States a message may be in while its provider cannot take it: queued, never final. */
const QUEUED_STATES = new Set([MessageState.MESSAGE_STATE_ACCEPTED, MessageState.MESSAGE_STATE_ROUTED]);

async function startGateway(t: TestContext, sim: Partial<SimProviderOptions> = {}): Promise<TestGateway> {
  const gw = await startTestGateway(sim);
  t.after(() => gw.stop());
  return gw;
}

/** A simulated SMS provider on a given port, closed in t.after. */
async function startSimOn(t: TestContext, port: number, options: Partial<SimProviderOptions> = {}): Promise<SimProvider> {
  const sim = await startSimProvider({ id: 'late-sim', port, channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS], ...options });
  t.after(() => sim.close());
  return sim;
}

async function waitForState(client: GatewayTestClient, messageId: string, state: MessageState): Promise<MessageStatus> {
  let status: MessageStatus | undefined;
  await waitFor(
    async () => (status = await client.getStatus(messageId)).state === state,
    15_000,
    `${messageId} to be ${stateName(state)} (it is ${status === undefined ? '?' : stateName(status.state)})`,
  );
  return status as MessageStatus;
}

/** The history as [state, code, reason] triples. */
function historyOf(status: MessageStatus): [string, string, string][] {
  return status.history.map((e) => [stateName(e.state), e.code, e.reason]);
}

test('a permanent provider rejection ends FAILED with the provider code and reason, and is not retried', async (t) => {
  const gw = await startGateway(t);
  const { messageId } = await gw.client.send({ recipient: '010-1234-0000' });
  const status = await waitForState(gw.client, messageId, MessageState.MESSAGE_STATE_FAILED);
  assert.deepEqual(historyOf(status), [
    ['ACCEPTED', '', ''],
    ['ROUTED', '', ''],
    ['FAILED', 'INVALID_NUMBER', 'recipient +82****0000 does not exist'],
  ]);
  assert.equal(status.history[2]?.providerId, 'sms-0');

  // A later message goes through the same provider, so the rejected one had its only try.
  const later = await gw.client.send({});
  await waitForState(gw.client, later.messageId, MessageState.MESSAGE_STATE_DELIVERED);
  assert.deepEqual(gw.sms.received(), [messageId, later.messageId]);
});

test('a retryable provider rejection keeps the message queued and it is tried again until a provider takes it', async (t) => {
  const port = await freePort();
  const gw = await startGatewayForProviders([`127.0.0.1:${port}`]);
  t.after(() => gw.stop());
  const refusing = await startSimProvider({ id: 'busy', port, rejectRate: 1, rejectRetryable: true, rejectCode: 'THROTTLED' });
  t.after(() => refusing.close());

  const { messageId } = await gw.client.send({});
  // Three tries, each refused as retryable: the message is still queued, never FAILED.
  await waitFor(() => refusing.received().filter((id) => id === messageId).length >= 3, 15_000, 'three tries at the refusing provider');
  const queued = await gw.client.getStatus(messageId);
  assert.ok(QUEUED_STATES.has(queued.state), `still queued, not ${stateName(queued.state)}`);
  assert.deepEqual(historyOf(queued).map(([state]) => state), ['ACCEPTED', 'ROUTED']);

  // The provider recovers (a healthy one on the same address): the next try goes through.
  await refusing.close();
  const healthy = await startSimOn(t, port);
  const status = await waitForState(gw.client, messageId, MessageState.MESSAGE_STATE_DELIVERED);
  assert.deepEqual(historyOf(status).map(([state]) => state), ['ACCEPTED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);
  assert.deepEqual(healthy.received(), [messageId]);
});

test('while the provider is down messages stay queued, never FAILED, and are delivered once it is up', async (t) => {
  const port = await freePort();
  const gw = await startGatewayForProviders([`127.0.0.1:${port}`]);
  t.after(() => gw.stop());

  const ids = [(await gw.client.send({ clientRef: 'unary-1' })).messageId];
  const [answer] = await gw.client.sendStream([{ batchId: 1, messages: Array.from({ length: 50 }, (_, i) => makeMessage({ templateId: 'otp', variables: { code: String(i) } })) }]);
  ids.push(...(answer?.acks.map((a) => a.messageId) ?? []));
  assert.equal(ids.length, 51);

  // Let the dispatcher try and fail to reach the provider a few times (connectTimeout is 300 ms in the
  // test config); this is a wait for attempts to happen, not a timing assertion.
  await waitFor(async () => (await gw.client.getStatus(ids[0] as string)).state === MessageState.MESSAGE_STATE_ROUTED, 10_000, 'a first dispatch attempt');
  await sleep(1_500);
  for (const id of ids) {
    const status = await gw.client.getStatus(id);
    assert.ok(QUEUED_STATES.has(status.state), `${id} is queued while the provider is down, not ${stateName(status.state)}`);
  }

  const sim = await startSimOn(t, port);
  for (const id of ids) {
    const status = await waitForState(gw.client, id, MessageState.MESSAGE_STATE_DELIVERED);
    assert.deepEqual(historyOf(status).map(([state]) => state), ['ACCEPTED', 'ROUTED', 'SUBMITTED', 'DELIVERED']);
  }
  assert.deepEqual([...sim.received()].sort(), [...ids].sort());
});

test('a failed delivery report ends FAILED with the report code and reason', async (t) => {
  const gw = await startGateway(t, { dlrDelayMs: 5 });
  const { messageId } = await gw.client.send({ recipient: '+82 10 1234 0001' });
  const status = await waitForState(gw.client, messageId, MessageState.MESSAGE_STATE_FAILED);
  assert.deepEqual(historyOf(status), [
    ['ACCEPTED', '', ''],
    ['ROUTED', '', ''],
    ['SUBMITTED', '', ''],
    ['FAILED', 'UNREACHABLE', 'recipient +82****0001 is unreachable'],
  ]);
  assert.equal(status.history[3]?.providerRef, status.history[2]?.providerRef);
  assert.notEqual(status.history[2]?.providerRef, '');
});

test('a message whose TTL passes before it can be sent ends EXPIRED and is never sent; one with time left is delivered', async (t) => {
  const port = await freePort();
  const gw = await startGatewayForProviders([`127.0.0.1:${port}`]);
  t.after(() => gw.stop());

  const shortLived = await gw.client.send({ templateId: 'otp', variables: { code: '123456' }, ttlMs: 300 });
  const longLived = await gw.client.send({ templateId: 'otp', variables: { code: '654321' } });
  const expired = await waitForState(gw.client, shortLived.messageId, MessageState.MESSAGE_STATE_EXPIRED);
  const last = expired.history.at(-1);
  assert.equal(last?.code, 'TTL_EXPIRED');
  assert.equal(last?.reason, 'the message TTL passed before it could be sent');

  const sim = await startSimOn(t, port);
  await waitForState(gw.client, longLived.messageId, MessageState.MESSAGE_STATE_DELIVERED);
  assert.deepEqual(sim.received(), [longLived.messageId]);
  assert.equal((await gw.client.getStatus(shortLived.messageId)).state, MessageState.MESSAGE_STATE_EXPIRED);
});
