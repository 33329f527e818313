// The connector's pool: separate HTTP/2 connections per provider, rotation on a graceful GOAWAY,
// and a stalled connection detected and replaced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GrpcProviderConnector } from '../../src/channels/grpc-provider-connector.js';
import type { SubmitOutcome } from '../../src/channels/provider-connector.js';
import { startSimProvider } from '../../src/channels/sim-provider.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { outboundMessage, providerSettings } from '../helpers/provider-settings.js';
import { waitFor } from '../helpers/wait-for.js';

const signal = new AbortController().signal;

test('connections: 3 opens three separate TCP connections and spreads batches over them', async (t) => {
  const sim = await startSimProvider({ latencyMs: 20 });
  const proxy = await startFaultProxy(sim.address);
  const connector = new GrpcProviderConnector(providerSettings(proxy.address, { connections: 3, window: 10 }));
  // Connector first, then the proxy (it may still stall), then the provider: nothing waits on a hung peer.
  t.after(async () => {
    await connector.close();
    await proxy.close();
    await sim.close();
  });

  await waitFor(() => connector.connectionState().connected === 3);
  assert.equal(proxy.open, 3, 'one TCP connection per pooled connection, not one shared subchannel');
  // 30 messages at once with a window of 10 per connection: only possible when all three carry some.
  const batch = Array.from({ length: 30 }, (_, i) => outboundMessage(`p-${i}`));
  let peak = 0;
  const watch = setInterval(() => (peak = Math.max(peak, connector.connectionState().inFlight)), 5);
  const outcomes = await connector.submit(batch, signal);
  clearInterval(watch);
  assert.deepEqual(outcomes.map((o) => o.kind), batch.map(() => 'accepted'));
  assert.ok(peak > 10, `more in flight (${peak}) than one connection's window`);
  assert.equal(sim.received().length, 30);
});

test('a graceful GOAWAY (max connection age) rotates the stream: nothing fails, nothing is sent twice', async (t) => {
  const sim = await startSimProvider({ latencyMs: 30, maxConnectionAgeMs: 400, maxConnectionAgeGraceMs: 1000 });
  const proxy = await startFaultProxy(sim.address);
  const connector = new GrpcProviderConnector(providerSettings(proxy.address, { connections: 2, window: 20 }));
  // Connector first, then the proxy (it may still stall), then the provider: nothing waits on a hung peer.
  t.after(async () => {
    await connector.close();
    await proxy.close();
    await sim.close();
  });

  // Keep sending for ~2.5 s: every connection reaches its max age several times meanwhile.
  const outcomes: SubmitOutcome[] = [];
  const until = Date.now() + 2500;
  let n = 0;
  while (Date.now() < until) {
    const batch = Array.from({ length: 10 }, () => outboundMessage(`g-${n++}`));
    outcomes.push(...(await connector.submit(batch, signal)));
  }
  assert.ok(proxy.accepted >= 4, `connections were rotated (${proxy.accepted} accepted)`);
  const failed = outcomes.filter((o) => o.kind !== 'accepted');
  assert.deepEqual(failed, [], 'no message failed over the rotations');
  const received = sim.received();
  assert.equal(received.length, n);
  assert.equal(new Set(received).size, n, 'no message was sent twice');
});

test('a stalled connection is detected by keepalive and replaced; its unanswered messages come back retryable', async (t) => {
  const sim = await startSimProvider();
  const proxy = await startFaultProxy(sim.address);
  const connector = new GrpcProviderConnector(providerSettings(proxy.address, { keepaliveTimeMs: 300, keepaliveTimeoutMs: 300, answerTimeoutMs: 10_000 }));
  // Connector first, then the proxy (it may still stall), then the provider: nothing waits on a hung peer.
  t.after(async () => {
    await connector.close();
    await proxy.close();
    await sim.close();
  });
  await waitFor(() => connector.connectionState().connected === 1);

  proxy.stall();
  const started = Date.now();
  const [outcome] = await connector.submit([outboundMessage('s-1')], signal);
  assert.equal(outcome?.kind, 'rejected');
  assert.equal(outcome?.kind === 'rejected' && outcome.retryable, true);
  assert.ok(Date.now() - started < 5_000, 'detected by keepalive, well before answerTimeout');

  proxy.resume();
  await waitFor(() => connector.connectionState().connected === 1);
  const [again] = await connector.submit([outboundMessage('s-1')], signal);
  assert.equal(again?.kind, 'accepted');
});

test('with keepalive off, the answer deadline catches a stall; a message past its TTL comes back TTL_EXPIRED', async (t) => {
  const sim = await startSimProvider();
  const proxy = await startFaultProxy(sim.address);
  const connector = new GrpcProviderConnector(providerSettings(proxy.address, { keepaliveTimeMs: 60_000, keepaliveTimeoutMs: 60_000, answerTimeoutMs: 800 }));
  // Connector first, then the proxy (it may still stall), then the provider: nothing waits on a hung peer.
  t.after(async () => {
    await connector.close();
    await proxy.close();
    await sim.close();
  });
  await waitFor(() => connector.connectionState().connected === 1);

  proxy.stall();
  const outcomes = await connector.submit([outboundMessage('d-1', { expiresAtMs: Date.now() + 300 }), outboundMessage('d-2')], signal);
  assert.deepEqual(
    outcomes.map((o) => (o.kind === 'rejected' ? `${o.code}:${o.retryable}` : o.kind)),
    ['TTL_EXPIRED:false', 'STREAM_BROKEN:true'],
  );
});

test('bulk never takes the window slots kept for urgent messages', async (t) => {
  const sim = await startSimProvider({ latencyMs: 300 });
  const connector = new GrpcProviderConnector(providerSettings(sim.address, { window: 10, urgentReserve: 0.2 }));
  // Connector first, then the proxy (it may still stall), then the provider: nothing waits on a hung peer.
  t.after(async () => {
    await connector.close();
    await sim.close();
  });
  await waitFor(() => connector.connectionState().connected === 1);

  const bulk = connector.submit(Array.from({ length: 40 }, (_, i) => outboundMessage(`b-${i}`, { priority: 'bulk' })), signal);
  await waitFor(() => connector.connectionState().inFlight === 8, 2_000);
  const [urgent] = await connector.submit([outboundMessage('otp', { priority: 'urgent' })], signal);
  assert.equal(urgent?.kind, 'accepted');
  assert.equal(sim.received().indexOf('otp'), 8, 'sent right after the first 8 bulk, on the reserved slot');
  assert.ok((await bulk).every((o) => o.kind === 'accepted'));
});
