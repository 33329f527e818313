import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSimProvider } from '../../src/channels/sim-provider.js';
import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { compileTestConfig, rawTestConfig } from '../helpers/test-config.js';
import { startGatewayForProviders } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

test('a reload that moves a provider to a new address, adds one and removes one applies to the next messages', async (t) => {
  const channels = [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS];
  const [oldSim, newSim, extraSim] = await Promise.all([startSimProvider({ id: 'old', channels }), startSimProvider({ id: 'new', channels }), startSimProvider({ id: 'extra', channels })]);
  t.after(() => Promise.all([oldSim.close(), newSim.close(), extraSim.close()]));
  const gw = await startGatewayForProviders([oldSim.address, extraSim.address]);
  t.after(() => gw.stop());
  const delivered = async (): Promise<string> => {
    const { messageId } = await gw.client.send({});
    await waitFor(async () => (await gw.client.getStatus(messageId)).state === MessageState.MESSAGE_STATE_DELIVERED);
    return messageId;
  };
  const before = await delivered();
  assert.deepEqual(oldSim.received(), [before]);

  // sms-0 moves to the new simulator, sms-1 goes away, sms-2 arrives.
  const raw = rawTestConfig({ sms: [newSim.address, extraSim.address, extraSim.address] });
  const providers = raw['providers'] as { id: string }[];
  raw['providers'] = providers.filter((p) => p.id !== 'sms-1');
  (raw['routing'] as { channels: Record<string, string[]> }).channels = { sms: ['sms-0', 'sms-2'], lms: ['sms-0', 'sms-2'] };
  const result = await gw.node.reload(compileTestConfig(raw));
  assert.deepEqual(result, { ok: true, providersAdded: ['sms-2'], providersRemoved: ['sms-1'], providersChanged: ['sms-0'] });

  const after = await delivered();
  assert.deepEqual(newSim.received(), [after]);
  assert.deepEqual(oldSim.received(), [before], 'nothing more went to the old address');
});
