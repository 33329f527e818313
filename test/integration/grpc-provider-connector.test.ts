import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { GrpcProviderConnector } from '../../src/channels/grpc-provider-connector.js';
import type { OutboundMessage } from '../../src/channels/provider-connector.js';
import { startSimProvider } from '../../src/channels/sim-provider.js';

function outbound(i: number): OutboundMessage {
  return { messageId: `m-${i}`, channel: 'sms', recipient: '+821012345678', sender: '15880000', subject: '', body: `hello ${i}`, attributes: {}, expiresAtMs: 0 };
}

/** A connector to a simulator with a small window, so that submits wait for it. */
function connectorTo(address: string, window: number): GrpcProviderConnector {
  return new GrpcProviderConnector({ id: 'sim', kind: 'grpc', address, channels: ['sms'], window, connectTimeoutMs: 5_000, reconnectBackoffMs: 50, maxReconnectBackoffMs: 500 });
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
