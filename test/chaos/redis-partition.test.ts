// RELIABILITY A7 (partition: an old primary isolated from its replicas while a gateway node still
// talks to it). The primary's links to both replicas are cut (each replica is pointed at a port
// where nothing listens, keeping its data), the node goes on sending to the old primary, then a
// replica is promoted and the old primary demoted under it (what Sentinel does once it sees the
// primary gone: the demoted primary drops what it took alone). Sentinel's part, deciding when,
// is scripted here: the safety of the acks does not depend on it.
//
// With store.durability "replicated" the isolated primary's writes reach no replica, WAIT says so,
// and the node refuses every send (UNAVAILABLE): a client resends them elsewhere, and every
// message acked is found on the promoted replica and delivered. The same run with "local" is the
// control: the node acks on the isolated primary, and those messages vanish with the demotion.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { startSimProvider } from '../../src/channels/sim-provider.js';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { daytimeKstClock } from '../helpers/fake-clock.js';
import { freePort } from '../helpers/free-port.js';
import { GatewayTestClient } from '../helpers/gateway-calls.js';
import { readLedger } from '../helpers/ledger.js';
import type { RedisServer } from '../helpers/redis.js';
import { startReplicatedRedis } from '../helpers/redis-sentinel.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

interface PartitionOutcome {
  /** client_ref -> message id of every send the node acked. */
  readonly acked: Map<string, string>;
  readonly ackedWhileIsolated: number;
  readonly refusedWhileIsolated: number;
  /** Acked message ids the store no longer knows after the failover (the others all reach the supplier). */
  readonly lost: string[];
}

async function replicationOf(server: RedisServer): Promise<string> {
  return server.client().info('replication');
}

async function isolateAndFailOver(t: { after(fn: () => Promise<void> | void): void }, durability: 'local' | 'replicated'): Promise<PartitionOutcome> {
  const redis = await startReplicatedRedis(2, 0);
  t.after(() => redis.destroy());
  // The supplier is down until the failover is over, so the messages stay queued in Redis meanwhile.
  const supplierPort = await freePort();
  const ledgerPath = join(mkdtempSync(join(tmpdir(), 'sb-a7-')), 'ledger.tsv');
  const nodeConfig = (url: string) => {
    const raw = rawTestConfig({ sms: [`127.0.0.1:${supplierPort}`] });
    raw['store'] = { kind: 'redis', url, keyPrefix: 'a7', durability, replicaWaitTimeout: '300ms', claimIdle: '3s' };
    return compileTestConfig(raw);
  };
  const first = await startGatewayNode(nodeConfig(redis.primary.url), { now: daytimeKstClock() });
  const firstClient = new GatewayTestClient(first.address, TEST_API_KEY);
  // (Stopped below once isolated; stop is idempotent, this is for a test that fails before.)
  t.after(async () => {
    firstClient.close();
    await first.stop();
  });

  const acked = new Map<string, string>();
  let lastRefusal = '';
  const send = async (clientRef: string): Promise<boolean> => {
    try {
      acked.set(clientRef, (await firstClient.send({ clientRef })).messageId);
      return true;
    } catch (error) {
      assert.equal((error as ServiceError).code, Status.UNAVAILABLE, (error as Error).message);
      lastRefusal = (error as Error).message;
      return false;
    }
  };
  for (let i = 0; i < 30; i++) assert.ok(await send(`a7-before-${i}`), `acked while the replicas are connected (refused: ${lastRefusal})`);

  // The partition: neither replica hears from the primary any more; each keeps what it has.
  const deadPort = await freePort();
  for (const replica of redis.replicas) await replica.client().call('REPLICAOF', '127.0.0.1', String(deadPort));
  await waitFor(async () => (await replicationOf(redis.primary)).includes('connected_slaves:0'), 10_000, 'the primary to lose its replicas');
  let ackedWhileIsolated = 0;
  let refusedWhileIsolated = 0;
  for (let i = 0; i < 20; i++) {
    if (await send(`a7-isolated-${i}`)) ackedWhileIsolated++;
    else refusedWhileIsolated++;
  }
  firstClient.close();
  await first.stop();

  // The failover: replica 0 is promoted, replica 1 and the old primary follow it (the old
  // primary's own writes are dropped by the full sync).
  const [promoted, other] = redis.replicas as [RedisServer, RedisServer];
  await promoted.client().call('REPLICAOF', 'NO', 'ONE');
  for (const follower of [other, redis.primary]) await follower.client().call('REPLICAOF', '127.0.0.1', String(promoted.port));
  await waitFor(async () => (await replicationOf(redis.primary)).includes('master_link_status:up'), 15_000, 'the old primary to sync from the promoted replica');

  // Clients move to a node on the promoted replica; the supplier comes back.
  const sms = await startSimProvider({ id: 'sim-a7', port: supplierPort, channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS], ledgerPath });
  t.after(() => sms.close());
  const second = await startGatewayNode(nodeConfig(promoted.url), { now: daytimeKstClock() });
  t.after(() => second.stop());
  const secondClient = new GatewayTestClient(second.address, TEST_API_KEY);
  t.after(() => secondClient.close());
  // Lost: acked, and unknown to the store on the promoted replica.
  const lost: string[] = [];
  const kept: string[] = [];
  for (const id of acked.values()) {
    const known = await secondClient.getStatus(id).then(
      () => true,
      (error: ServiceError) => (error.code === Status.NOT_FOUND ? false : Promise.reject(error)),
    );
    (known ? kept : lost).push(id);
  }
  let missing: string[] = [];
  await waitFor(
    async () => {
      const received = new Set((await readLedger(ledgerPath)).map((row) => row.messageId));
      missing = kept.filter((id) => !received.has(id));
      return missing.length === 0;
    },
    30_000,
    'every acked message the promoted replica has to reach the supplier',
  ).catch(async (error: Error) => {
    // What the missing messages' records and the promoted replica's queues say, to tell a stuck node from a lost message.
    const states = await Promise.all(missing.slice(0, 3).map(async (id) => `${id}: ${JSON.stringify(await secondClient.getStatus(id))}`));
    for (let shard = 0; shard < 4; shard++) {
      const lane = `a7:{s${shard}}:q:normal`;
      states.push(`${lane}: ${await promoted.client().xlen(lane)} entries, pending ${JSON.stringify(await promoted.client().xpending(lane, 'dispatch', '-', '+', 10))}`);
    }
    throw new Error(`${error.message}; ${missing.length} missing:\n${states.join('\n')}`);
  });
  return { acked, ackedWhileIsolated, refusedWhileIsolated, lost };
}

test('A7: durability "replicated": an old primary cut off from its replicas acks nothing, and no acked message is lost when it is demoted', async (t) => {
  const outcome = await isolateAndFailOver(t, 'replicated');
  t.diagnostic(`acked ${outcome.acked.size}; while isolated: ${outcome.ackedWhileIsolated} acked, ${outcome.refusedWhileIsolated} refused (UNAVAILABLE); lost ${outcome.lost.length}`);
  assert.equal(outcome.ackedWhileIsolated, 0);
  assert.equal(outcome.refusedWhileIsolated, 20);
  assert.deepEqual(outcome.lost, []);
});

test('A7 control: durability "local" acks on the isolated primary, and those messages are lost when it is demoted', async (t) => {
  const outcome = await isolateAndFailOver(t, 'local');
  t.diagnostic(`acked ${outcome.acked.size}; while isolated: ${outcome.ackedWhileIsolated} acked; lost ${outcome.lost.length}`);
  assert.equal(outcome.ackedWhileIsolated, 20);
  const isolatedIds = new Set([...outcome.acked].filter(([ref]) => ref.startsWith('a7-isolated-')).map(([, id]) => id));
  assert.deepEqual(new Set(outcome.lost), isolatedIds, 'exactly the messages acked while isolated are lost');
});
