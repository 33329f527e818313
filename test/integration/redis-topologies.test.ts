// The same Redis store code on Redis Cluster and behind Sentinel: the store contract suite runs
// against each, and a gateway node on the cluster carries a message end to end.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RedisStore } from '../../src/store/redis-store.js';
import { MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { startSimProvider } from '../../src/channels/sim-provider.js';
import { describeOptOutList } from '../conformance/opt-out-list.suite.js';
import { describeStore } from '../conformance/store.suite.js';
import { GatewayTestClient } from '../helpers/gateway-calls.js';
import { startRedisCluster, type RedisClusterServers } from '../helpers/redis-cluster.js';
import { startRedisWithSentinel, type RedisWithSentinel } from '../helpers/redis-sentinel.js';
import { redisStoreSettings } from '../helpers/redis-store-settings.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

let cluster: RedisClusterServers;
let sentinel: RedisWithSentinel;
before(async () => {
  [cluster, sentinel] = await Promise.all([startRedisCluster(), startRedisWithSentinel()]);
});
after(() => Promise.all([cluster.destroy(), sentinel.destroy()]));

describeStore('redis cluster (3 primaries)', async ({ maxQueuedMessages }) => {
  const store = await RedisStore.connect(redisStoreSettings('redis://127.0.0.1:6379', { maxQueuedMessages, shards: 1, clusterNodes: cluster.nodes }));
  return { store, cleanup: () => store.close() };
});

describeOptOutList('redis cluster (3 primaries)', async () => {
  const list = await RedisStore.connect(redisStoreSettings('redis://127.0.0.1:6379', { clusterNodes: cluster.nodes }));
  return { list, cleanup: () => list.close() };
});

describeStore('redis behind sentinel', async ({ maxQueuedMessages }) => {
  const store = await RedisStore.connect(
    redisStoreSettings('redis://127.0.0.1:6379', { maxQueuedMessages, shards: 1, sentinels: [sentinel.sentinel], sentinelName: sentinel.name }),
  );
  return { store, cleanup: () => store.close() };
});

test('on a Redis Cluster, shards spread over the primaries and a gateway node delivers end to end', async (t) => {
  const sms = await startSimProvider({ id: 'sim-sms' });
  t.after(() => sms.close());
  const raw = rawTestConfig({ sms: [sms.address] });
  raw['store'] = { kind: 'redis', url: 'redis://127.0.0.1:6379', cluster: cluster.nodes, shards: 8, keyPrefix: `c${Date.now().toString(36)}` };
  const node = await startGatewayNode(compileTestConfig(raw));
  t.after(() => node.stop());
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  t.after(() => client.close());

  const sent = await Promise.all(Array.from({ length: 40 }, (_, i) => client.send({ clientRef: `cluster-${i}` })));
  for (const { messageId } of sent) {
    await waitFor(async () => (await client.getStatus(messageId)).state === MessageState.MESSAGE_STATE_DELIVERED, 10_000, `${messageId} DELIVERED`);
  }
  assert.deepEqual([...sms.received()].sort(), sent.map((s) => s.messageId).sort());
  // Eight shards over three primaries: the queue is not on one node.
  assert.ok(new Set(sent.map((s) => s.messageId.split('.').pop())).size > 3);
});
