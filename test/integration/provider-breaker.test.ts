// RELIABILITY row B4: a supplier answering half its messages with retryable errors trips its
// breaker, traffic shifts to the other supplier of the channel, and fails back once it recovers,
// without flapping. Through gRPC, with two simulated SMS suppliers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSimProvider, type SimProvider } from '../../src/channels/sim-provider.js';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { MessageState, type SendBatch } from '../../src/gen/switchboard/v1/gateway.js';
import { GatewayTestClient, makeMessage } from '../helpers/gateway-calls.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

/** Streams n messages in frames of 10 and waits until every one is DELIVERED; returns their ids. */
async function sendDelivered(client: GatewayTestClient, n: number, tag: string): Promise<string[]> {
  const frames: SendBatch[] = Array.from({ length: Math.ceil(n / 10) }, (_, f) => ({
    batchId: f,
    messages: Array.from({ length: Math.min(10, n - f * 10) }, (_, i) => makeMessage({ clientRef: `${tag}-${f}-${i}`, recipient: `010-5${String(f).padStart(3, '0')}-${String(1000 + i)}` })),
  }));
  const acks = (await client.sendStream(frames)).flatMap((b) => b.acks);
  assert.equal(acks.filter((a) => a.accepted).length, n);
  const ids = acks.map((a) => a.messageId);
  await waitFor(async () => {
    const states = await Promise.all(ids.map((id) => client.getStatus(id)));
    return states.every((s) => s.state === MessageState.MESSAGE_STATE_DELIVERED);
  }, 20_000, `${n} messages "${tag}" delivered`);
  return ids;
}

async function metric(metricsAddress: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

const receivedOf = (sim: SimProvider, ids: readonly string[]): number => {
  const set = new Set(sim.received());
  return ids.filter((id) => set.has(id)).length;
};

test('B4: 50% retryable errors open the breaker, traffic moves to the secondary, and fails back once after recovery', async (t) => {
  const channels = [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS];
  const a = await startSimProvider({ id: 'a', channels, rejectRate: 0.5, rejectRetryable: true, rejectCode: 'RESOURCE_EXHAUSTED', seed: 7 });
  const b = await startSimProvider({ id: 'b', channels });
  t.after(() => Promise.all([a.close(), b.close()]));
  const raw = rawTestConfig({ sms: [a.address, b.address] }); // routing.channels.sms: [sms-0, sms-1]: a primary, b secondary
  (raw['server'] as Record<string, unknown>)['metricsListen'] = '127.0.0.1:0';
  raw['providerHealth'] = { window: '5s', minRequests: 10, openErrorRate: 0.3, openCooldown: '300ms', maxOpenCooldown: '1s', halfOpenProbes: 10 };
  const node = await startGatewayNode(compileTestConfig(raw));
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  t.after(async () => {
    client.close();
    await node.stop();
  });
  const metricsAddress = node.metricsAddress as string;
  const transitions = (to: string) => metric(metricsAddress, 'switchboard_channel_provider_breaker_transitions_total', `provider="sms-0",to="${to}"`);

  // The incident: a fails half of what it gets.
  const incident = await sendDelivered(client, 300, 'incident');
  assert.ok((await transitions('open')) >= 1, 'the breaker of sms-0 opened');
  assert.equal(await transitions('closed'), 0, 'and did not close while the supplier kept failing');
  assert.ok(receivedOf(b, incident) >= 200, `traffic moved to sms-1 (${receivedOf(b, incident)} of 300)`);
  assert.ok((await metric(metricsAddress, 'switchboard_channel_provider_weight_shifts_total', 'provider="sms-0",direction="down"')) >= 1, 'its adaptive weight stepped down');
  assert.ok((await metric(metricsAddress, 'switchboard_channel_provider_weight_factor', 'provider="sms-0"')) < 1);
  const attempts = a.received().length + b.received().length;
  assert.ok(attempts <= 1.5 * incident.length, `attempts ${attempts} <= 1.5 x ${incident.length} messages`);

  // Recovery: probes succeed, the breaker closes, and a is primary again.
  a.setRejectRate(0);
  await waitFor(async () => {
    await sendDelivered(client, 10, `recovery-${Date.now()}`);
    return node.providers.health('sms-0')?.breakerState() === 'closed';
  }, 20_000, 'the breaker of sms-0 to close again');
  const opensBefore = await transitions('open');
  const after = await sendDelivered(client, 200, 'after');
  assert.equal(receivedOf(a, after), 200, 'all traffic back on the primary');
  assert.equal(receivedOf(b, after), 0);
  assert.equal(await transitions('closed'), 1, 'closed exactly once over the run: no flapping');
  assert.equal(await transitions('open'), opensBefore, 'no new trip after recovery');
  assert.equal(await metric(metricsAddress, 'switchboard_channel_provider_breaker_state', 'provider="sms-0"'), 0);
});

test('delivery latency: a supplier whose messages get no final report in time loses weight; the prompt one keeps its own', async (t) => {
  const channels = [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS];
  const slow = await startSimProvider({ id: 'slow', channels, dlrDelayMs: 60_000 });
  const prompt = await startSimProvider({ id: 'prompt', channels });
  t.after(() => Promise.all([slow.close(), prompt.close()]));
  const raw = rawTestConfig({ sms: [slow.address, prompt.address] });
  (raw['server'] as Record<string, unknown>)['metricsListen'] = '127.0.0.1:0';
  (raw['routing'] as { channels: Record<string, unknown> }).channels = { sms: [{ provider: 'sms-0' }, { provider: 'sms-1' }], lms: ['sms-0', 'sms-1'] };
  raw['providerHealth'] = { minRequests: 10, reportTimeout: '300ms', weightUndeliveredShare: 0.2, weightStep: 0.5, weightCooldown: '100ms', minWeightFactor: 0.25 };
  const node = await startGatewayNode(compileTestConfig(raw));
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  t.after(async () => {
    client.close();
    await node.stop();
  });
  const ids = (await client.sendStream([{ batchId: 0, messages: Array.from({ length: 60 }, (_, i) => makeMessage({ clientRef: `lat-${i}` })) }])).flatMap((b) => b.acks.map((a) => a.messageId));
  await waitFor(async () => (await Promise.all(ids.map((id) => client.getStatus(id)))).every((s) => s.state === MessageState.MESSAGE_STATE_SUBMITTED || s.state === MessageState.MESSAGE_STATE_DELIVERED), 10_000, 'all submitted');
  assert.ok(receivedOf(slow, ids) >= 10 && receivedOf(prompt, ids) >= 10, 'equal weights: both took traffic');
  const factor = (provider: string) => metric(node.metricsAddress as string, 'switchboard_channel_provider_weight_factor', `provider="${provider}"`);
  await waitFor(async () => {
    node.providers.health('sms-0')?.weightFactor(); // a pick or a list would read it; nothing else runs here
    return (await factor('sms-0')) === 0.25;
  }, 10_000, 'the slow supplier to step down to minWeightFactor');
  const snapshot = node.providers.health('sms-0')?.snapshot();
  assert.equal(snapshot?.undeliveredShare, 1);
  assert.equal(node.providers.health('sms-1')?.snapshot().weightFactor, 1);
  assert.equal(await metric(node.metricsAddress as string, 'switchboard_channel_provider_weight_shifts_total', 'provider="sms-1",direction="down"'), 0);
});
