import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { GrpcProviderConnector } from '../../src/channels/grpc-provider-connector.js';
import type { OutboundMessage } from '../../src/channels/provider-connector.js';
import { startSimProvider } from '../../src/channels/sim-provider.js';
import { freePort } from '../helpers/free-port.js';
import { outboundMessage, providerSettings } from '../helpers/provider-settings.js';
import { waitFor } from '../helpers/wait-for.js';

function outbound(i: number): OutboundMessage {
  return outboundMessage(`m-${i}`);
}

/** A connector to a simulator with a small window, so that submits wait for it. */
function connectorTo(address: string, window: number): GrpcProviderConnector {
  return new GrpcProviderConnector(providerSettings(address, { window }));
}

test('submit waits for window space without leaving listeners on the caller signal', async (t) => {
  const sim = await startSimProvider({ latencyMs: 1 });
  t.after(() => sim.close());
  const connector = connectorTo(sim.address, 2);
  t.after(() => connector.close());

  // One long-lived signal for many submits, as the dispatcher does; a window of 2 makes every submit wait.
  const signal = new AbortController().signal;
  for (let round = 0; round < 5; round++) {
    const batch = Array.from({ length: 20 }, (_, i) => outbound(round * 100 + i));
    const outcomes = await connector.submit(batch, signal);
    assert.deepEqual(outcomes.map((o) => o.kind), batch.map(() => 'accepted'));
  }
  assert.equal(getEventListeners(signal, 'abort').length, 0);
  assert.equal(sim.received().length, 100);
});

test('submits that wait together for the connection never put more in flight than the window', async (t) => {
  const sim = await startSimProvider({ latencyMs: 100 });
  t.after(() => sim.close());
  const connector = connectorTo(sim.address, 1);
  t.after(() => connector.close());
  const signal = new AbortController().signal;
  // Both wait for the connection and are woken by the same event; the second must then wait for the first's answer.
  let peak = 0;
  const watch = setInterval(() => (peak = Math.max(peak, connector.connectionState().inFlight)), 2);
  const outcomes = await Promise.all([connector.submit([outbound(1)], signal), connector.submit([outbound(2)], signal), connector.submit([outbound(3)], signal)]);
  clearInterval(watch);
  assert.deepEqual(outcomes.map(([o]) => o?.kind), ['accepted', 'accepted', 'accepted']);
  assert.equal(peak, 1, 'a window of 1 holds one message at a time');
});

test('a message whose TTL passes while it waits for window space is never sent and comes back TTL_EXPIRED', async (t) => {
  const sim = await startSimProvider({ latencyMs: 400 });
  t.after(() => sim.close());
  const connector = connectorTo(sim.address, 1);
  t.after(() => connector.close());
  const signal = new AbortController().signal;
  const holder = connector.submit([outbound(1)], signal); // holds the only window slot for 400 ms
  await new Promise((resolve) => setTimeout(resolve, 50));
  const late = { ...outbound(2), expiresAtMs: Date.now() + 100 };
  const [lateOutcome] = await connector.submit([late], signal);
  assert.deepEqual(lateOutcome, { kind: 'rejected', code: 'TTL_EXPIRED', reason: 'the message TTL passed while it waited for the provider', retryable: false });
  assert.equal((await holder)[0]?.kind, 'accepted');
  assert.deepEqual(sim.received(), ['m-1']);
});

test('after one connect timeout, submits to an unreachable supplier fail at once until it is back', async (t) => {
  const port = await freePort();
  const connector = new GrpcProviderConnector(providerSettings(`127.0.0.1:${port}`, { id: 'down', window: 10, connectTimeoutMs: 300, maxReconnectBackoffMs: 100 }));
  t.after(() => connector.close());
  const signal = new AbortController().signal;
  const [waited] = await connector.submit([outbound(1)], signal);
  assert.deepEqual(waited, { kind: 'rejected', code: 'UNAVAILABLE', reason: 'provider "down" is not connected', retryable: true });
  const [fast] = await connector.submit([outbound(2)], signal);
  assert.equal(fast?.kind === 'rejected' ? fast.code : fast?.kind, 'PROVIDER_UNREACHABLE');

  // The supplier comes back on that port: the connector reconnects by itself and sends again.
  const sim = await startSimProvider({ port });
  t.after(() => sim.close());
  let outcome = fast;
  await waitFor(async () => {
    [outcome] = await connector.submit([outbound(3)], signal);
    return outcome?.kind === 'accepted';
  });
  assert.deepEqual(sim.received(), ['m-3']);
});
