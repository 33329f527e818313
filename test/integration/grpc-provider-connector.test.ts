import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { GrpcProviderConnector } from '../../src/channels/grpc-provider-connector.js';
import type { OutboundMessage } from '../../src/channels/provider-connector.js';
import { startSimProvider } from '../../src/channels/sim-provider.js';

function outbound(i: number): OutboundMessage {
  return { messageId: `m-${i}`, channel: 'sms', recipient: '+821012345678', sender: '15880000', subject: '', body: `hello ${i}`, attributes: {}, expiresAtMs: 0 };
}

test('submit waits for window space without leaving listeners on the caller signal', async (t) => {
  const sim = await startSimProvider({ latencyMs: 1 });
  t.after(() => sim.close());
  const connector = new GrpcProviderConnector({
    id: 'sim',
    kind: 'grpc',
    address: sim.address,
    channels: ['sms'],
    window: 2,
    connectTimeoutMs: 5_000,
    reconnectBackoffMs: 50,
    maxReconnectBackoffMs: 500,
  });
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
