// SMPP delivery receipts name only the SMSC's message id, which each node's connector maps back in
// memory. A receipt that reaches a node that did not submit the message (here: the node started
// after the one that submitted was stopped, on the same Redis store) is matched through the
// store's (provider, reference) index written with SUBMITTED, instead of being quarantined.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { GatewayTestClient, stateName } from '../helpers/gateway-calls.js';
import { startRedis } from '../helpers/redis.js';
import { rawSmppProvider, readSmscLedger, smscLedgerPath, startSmscSimProcess } from '../helpers/smsc-sim-process.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

test('SMPP receipts that come after a gateway restart find their messages through the store', async (t) => {
  const ledger = await smscLedgerPath(t);
  // Receipts 3 s after each submit: the first node is gone by then.
  const smsc = await startSmscSimProcess(t, ledger, '127.0.0.1:0', ['--system-id', 'switchboard', '--password', 'secret', '--receipt-delay-ms', '3000']);
  const redis = await startRedis();
  const raw: Record<string, any> = rawTestConfig({ sms: [] });
  raw['providers'] = [rawSmppProvider(smsc.address)];
  raw['routing'] = { defaultChannel: 'sms', channels: { sms: ['sms-0'], lms: ['sms-0'] } };
  raw['store'] = { kind: 'redis', url: redis.url, keyPrefix: `t${randomUUID().slice(0, 8)}`, shards: 2 };
  const config = compileTestConfig(raw);

  const first = await startGatewayNode(config);
  const firstClient = new GatewayTestClient(first.address, TEST_API_KEY);
  const ids: string[] = [];
  // "...0001": the SMSC answers UNDELIV.
  for (const recipient of ['010-1234-5678', '010-2345-6789', '010-3456-7890', '010-4567-0001']) {
    ids.push((await firstClient.send({ recipient, content: { body: '인증번호 123456', subject: '' } })).messageId);
  }
  for (const id of ids) await waitFor(async () => (await firstClient.getStatus(id)).state === MessageState.MESSAGE_STATE_SUBMITTED, 10_000, `${id} SUBMITTED`);
  firstClient.close();
  await first.stop();
  assert.equal((await readSmscLedger(ledger)).filter((e) => e.event === 'receipt_acked').length, 0, 'no receipt reached the first node');

  const second = await startGatewayNode(config);
  const client = new GatewayTestClient(second.address, TEST_API_KEY);
  t.after(async () => {
    client.close();
    await second.stop();
    await redis.destroy();
  });
  const expected = [MessageState.MESSAGE_STATE_DELIVERED, MessageState.MESSAGE_STATE_DELIVERED, MessageState.MESSAGE_STATE_DELIVERED, MessageState.MESSAGE_STATE_FAILED];
  for (const [i, id] of ids.entries()) {
    await waitFor(async () => (await client.getStatus(id)).state === expected[i], 15_000, `${id} to be ${stateName(expected[i]!)}`);
  }
  const failed = (await client.getStatus(ids[3]!)).history.at(-1);
  assert.deepEqual([failed?.code, failed?.providerId], ['UNDELIV', 'sms-0']);
  assert.equal(second.ingestStats.unknownDeliveries, 0, 'no receipt quarantined');
  await waitFor(async () => (await readSmscLedger(ledger)).filter((e) => e.event === 'receipt_acked').length === ids.length, 5_000, 'every receipt answered');
});
