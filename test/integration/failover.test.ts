// Dual-sourcing: a message the first supplier of its channel cannot take goes to the next one in
// the same pass; a permanent rejection does not travel.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSimProvider } from '../../src/channels/sim-provider.js';
import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { freePort } from '../helpers/free-port.js';
import { stateName } from '../helpers/gateway-calls.js';
import { startGatewayForProviders } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

async function waitForFinal(client: Awaited<ReturnType<typeof startGatewayForProviders>>['client'], messageId: string) {
  let status = await client.getStatus(messageId);
  await waitFor(async () => {
    status = await client.getStatus(messageId);
    return status.state === MessageState.MESSAGE_STATE_DELIVERED || status.state === MessageState.MESSAGE_STATE_FAILED;
  });
  return status;
}

test('messages the first supplier refuses for now (retryable) go to the second supplier of the channel', async (t) => {
  const refusing = await startSimProvider({ id: 'refusing', channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS], rejectRate: 1, rejectRetryable: true, rejectCode: 'THROTTLED' });
  const healthy = await startSimProvider({ id: 'healthy', channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS] });
  t.after(() => Promise.all([refusing.close(), healthy.close()]));
  const gw = await startGatewayForProviders([refusing.address, healthy.address]);
  t.after(() => gw.stop());

  const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => gw.client.send({ clientRef: `fo-${i}` })));
  for (const { messageId } of sent) {
    const status = await waitForFinal(gw.client, messageId);
    assert.equal(stateName(status.state), 'DELIVERED');
    assert.equal(status.history.find((e) => stateName(e.state) === 'SUBMITTED')?.providerId, 'sms-1');
  }
  const ids = sent.map((s) => s.messageId).sort();
  assert.deepEqual([...refusing.received()].sort(), ids, 'the first supplier was asked first');
  assert.deepEqual([...healthy.received()].sort(), ids, 'and the second one took every message, once');
});

test('when the first supplier is down, its messages go to the second one without waiting for it', async (t) => {
  const downPort = await freePort();
  const healthy = await startSimProvider({ id: 'healthy', channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS] });
  t.after(() => healthy.close());
  const gw = await startGatewayForProviders([`127.0.0.1:${downPort}`, healthy.address]);
  t.after(() => gw.stop());
  const { messageId } = await gw.client.send({});
  const status = await waitForFinal(gw.client, messageId);
  assert.equal(stateName(status.state), 'DELIVERED');
  assert.equal(status.history.find((e) => stateName(e.state) === 'SUBMITTED')?.providerId, 'sms-1');
});

test('a permanent rejection ends FAILED at the first supplier and is not sent to the second', async (t) => {
  const first = await startSimProvider({ id: 'first', channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS] });
  const second = await startSimProvider({ id: 'second', channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS] });
  t.after(() => Promise.all([first.close(), second.close()]));
  const gw = await startGatewayForProviders([first.address, second.address]);
  t.after(() => gw.stop());
  const { messageId } = await gw.client.send({ recipient: '010-1234-0000' });
  const status = await waitForFinal(gw.client, messageId);
  assert.equal(stateName(status.state), 'FAILED');
  assert.equal(status.history.at(-1)?.code, 'INVALID_NUMBER');
  assert.deepEqual(second.received(), []);
});
