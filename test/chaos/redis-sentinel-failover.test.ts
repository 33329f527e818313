// RELIABILITY A5 (Sentinel failover: primary SIGKILL): a primary, two replicas and three
// Sentinels; a gateway node with store.durability "replicated" (a send is acked once WAIT says a
// replica has it) sends steadily; the primary is SIGKILLed. Sends resume within 15 s, and every
// message that was acked, before or after the kill, is found and delivered: lost = 0. Resends of
// a refused send use the same client_ref, so a message the old primary took before dying is
// found, not sent twice under two ids.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ServiceError } from '@grpc/grpc-js';
import { startSimProvider } from '../../src/channels/sim-provider.js';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { daytimeKstClock } from '../helpers/fake-clock.js';
import { GatewayTestClient } from '../helpers/gateway-calls.js';
import { makeAccepted } from '../conformance/store.suite.js';
import { readLedger } from '../helpers/ledger.js';
import { startReplicatedRedis } from '../helpers/redis-sentinel.js';
import { redisStoreSettings } from '../helpers/redis-store-settings.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

test('A5: the Sentinel primary is SIGKILLed under load: sends resume within 15 s and no acked message is lost', async (t) => {
  const redis = await startReplicatedRedis(2, 3);
  const ledgerPath = join(mkdtempSync(join(tmpdir(), 'sb-a5-')), 'ledger.tsv');
  const sms = await startSimProvider({ id: 'sim-sms', channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS], ledgerPath });
  const raw = rawTestConfig({ sms: [sms.address] });
  raw['store'] = { kind: 'redis', sentinels: redis.sentinels, sentinelName: redis.name, keyPrefix: 'a5', durability: 'replicated', replicaWaitTimeout: '500ms', claimIdle: '3s' };
  const node = await startGatewayNode(compileTestConfig(raw), { now: daytimeKstClock() });
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  t.after(async () => {
    client.close();
    await node.stop();
    await sms.close();
    await redis.destroy();
  });

  // One sender, one message at a time, each retried with its client_ref until it is acked.
  const acked = new Map<string, string>(); // client_ref -> message id
  let killedAtMs = 0;
  let firstAckAfterKillMs = 0;
  let refusals = 0;
  let stop = false;
  const sender = (async () => {
    for (let i = 0; !stop; i++) {
      const clientRef = `a5-${i}`;
      for (;;) {
        try {
          const { messageId } = await client.send({ clientRef });
          acked.set(clientRef, messageId);
          if (killedAtMs > 0 && firstAckAfterKillMs === 0) firstAckAfterKillMs = Date.now();
          break;
        } catch (error) {
          refusals++;
          if (stop) return;
          assert.ok([14, 8, 4].includes((error as ServiceError).code), `a refused send is UNAVAILABLE, RESOURCE_EXHAUSTED or DEADLINE_EXCEEDED: ${(error as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();

  await waitFor(() => acked.size >= 50, 15_000, '50 messages acked before the kill');
  // The replicas stop getting the primary's writes for a moment before it dies: frozen, their
  // links cut, so the primary's writes from then on reach no replica. Whatever it acks in that
  // moment dies with it. ("local" durability loses those messages here; "replicated" acks none.)
  for (const replica of redis.replicas) replica.freeze();
  await redis.primary.client().call('CLIENT', 'KILL', 'TYPE', 'replica');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const oldPrimary = redis.primary.port;
  killedAtMs = Date.now();
  await redis.primary.stop('SIGKILL');
  for (const replica of redis.replicas) replica.thaw();
  await waitFor(() => firstAckAfterKillMs > 0, 20_000, 'a send to be acked after the kill');
  const resumedAfterMs = firstAckAfterKillMs - killedAtMs;
  // Some more after the failover, then stop.
  const ackedAtResume = acked.size;
  await waitFor(() => acked.size >= ackedAtResume + 50, 15_000, '50 more messages acked after the failover');
  stop = true;
  await sender;
  t.diagnostic(`sends resumed ${resumedAfterMs} ms after the kill; ${acked.size} acked, ${refusals} refusals meanwhile; primary now on port ${await redis.primaryPort()} (was ${oldPrimary})`);
  assert.notEqual(await redis.primaryPort(), oldPrimary, 'a replica was promoted');
  assert.ok(resumedAfterMs <= 15_000, `sends resumed ${resumedAfterMs} ms after the kill`);

  // lost = 0: every acked message has its status and reaches the supplier.
  const messageIds = [...acked.values()];
  const lost: string[] = [];
  await waitFor(
    async () => {
      lost.length = 0;
      let delivered = 0;
      for (const messageId of messageIds) {
        const state = await client.getStatus(messageId).then(
          (status) => status.state,
          () => null,
        );
        if (state === null) lost.push(messageId);
        else if (state === MessageState.MESSAGE_STATE_DELIVERED) delivered++;
      }
      return lost.length > 0 || delivered === messageIds.length;
    },
    30_000,
    'every acked message to be delivered',
  );
  assert.deepEqual(lost, [], 'acked messages the store no longer knows (lost)');
  const received = new Set((await readLedger(ledgerPath)).map((row) => row.messageId));
  assert.deepEqual(messageIds.filter((id) => !received.has(id)), [], 'every acked message reached the supplier');
});

test('durability "replicated" waits for every replica in sync, not one of them', async (t) => {
  const redis = await startReplicatedRedis(2, 1);
  t.after(() => redis.destroy());
  // A generous WAIT timeout: on a loaded CI machine the replica that answers may take a while.
  const store = await RedisStore.connect(redisStoreSettings(redis.primary.url, { durability: 'replicated', replicaWaitTimeoutMs: 1500, commandTimeoutMs: 5000 }));
  t.after(() => store.close());
  await store.enqueue([makeAccepted()]);
  // One replica stops answering: a write only the other confirms is not acknowledged.
  redis.replicas[1]!.freeze();
  t.after(() => redis.replicas[1]!.thaw());
  await assert.rejects(store.enqueue([makeAccepted()]), { name: 'StoreUnavailableError', message: /1 of the 2 replicas in sync confirmed the write within 1500 ms/ });
});
