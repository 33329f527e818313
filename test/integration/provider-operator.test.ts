// Operator control of suppliers on a running node: list, drain, switch and resume, through the
// GatewayAdmin RPCs and the `switchboard providers` CLI, and kept across a config reload; on the
// Redis store, applied by every node and kept across a restart.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { credentials, Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import { startSimProvider, type SimProvider } from '../../src/channels/sim-provider.js';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { BreakerState, GatewayAdminClient, type ProviderState } from '../../src/gen/switchboard/v1/admin.js';
import { MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { runCli } from '../helpers/cli-process.js';
import { GatewayTestClient } from '../helpers/gateway-calls.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { startRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait-for.js';

const OPERATOR_KEY = 'operator-key-providers-0001';

async function startTwoSuppliers(t: TestContext, store?: Record<string, unknown>) {
  const sims: SimProvider[] = [];
  for (const id of ['a', 'b']) sims.push(await startSimProvider({ id, channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS] }));
  t.after(() => Promise.all(sims.map((s) => s.close())));
  const raw = rawTestConfig({ sms: sims.map((s) => s.address) });
  if (store !== undefined) raw['store'] = store;
  (raw['server'] as Record<string, unknown>)['operatorApiKeys'] = [OPERATOR_KEY];
  // One priority group, equal weights: both take traffic until an operator steps in.
  (raw['routing'] as { channels: Record<string, unknown> }).channels = { sms: [{ provider: 'sms-0' }, { provider: 'sms-1' }], lms: ['sms-0', 'sms-1'] };
  const node = await startGatewayNode(compileTestConfig(raw));
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  t.after(async () => {
    client.close();
    await node.stop();
  });
  return { node, client, raw, a: sims[0] as SimProvider, b: sims[1] as SimProvider };
}

/** Sends n messages and waits until each is DELIVERED; returns their ids. */
async function sendDelivered(client: GatewayTestClient, n: number, tag: string): Promise<string[]> {
  const ids = (await Promise.all(Array.from({ length: n }, (_, i) => client.send({ clientRef: `${tag}-${i}` })))).map((r) => r.messageId);
  await waitFor(async () => {
    const states = await Promise.all(ids.map((id) => client.getStatus(id)));
    return states.every((s) => s.state === MessageState.MESSAGE_STATE_DELIVERED);
  }, 15_000, `${n} messages "${tag}" delivered`);
  return ids;
}

const receivedOf = (sim: SimProvider, ids: string[]): number => {
  const set = new Set(sim.received());
  return ids.filter((id) => set.has(id)).length;
};

function adminCall<Res>(address: string, apiKey: string, method: 'listProviders' | 'drainProvider' | 'resumeProvider' | 'switchProvider', request: object): Promise<Res> {
  const client = new GatewayAdminClient(address, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('x-api-key', apiKey);
  return new Promise<Res>((resolve, reject) =>
    (client[method] as unknown as (r: unknown, m: Metadata, cb: (e: ServiceError | null, r: Res) => void) => void).call(client, request, metadata, (e, r) => {
      client.close();
      if (e) reject(e);
      else resolve(r);
    }),
  ).finally(() => client.close());
}

test('providers list shows live state; drain moves traffic off a supplier; switch and resume move it back; all without a restart', async (t) => {
  const { node, client, a, b } = await startTwoSuppliers(t);
  const cli = (...args: string[]) => runCli(t, ['providers', ...args, '--target', node.address], { SWITCHBOARD_OPERATOR_KEY: OPERATOR_KEY });

  const before = await sendDelivered(client, 40, 'before');
  assert.ok(receivedOf(a, before) > 0 && receivedOf(b, before) > 0, 'one group, equal weights: both suppliers take traffic');

  const listed = await cli('list');
  assert.equal(listed.code, 0, listed.stderr);
  const lines = listed.stdout.trim().split('\n');
  assert.match(lines[0] ?? '', /^PROVIDER\s+CONNECTED\s+IN-FLIGHT\s+BREAKER\s+ERRORS\s+NO-REPORT\s+CHANNEL:GROUP:WEIGHT\/CONFIGURED\s+OPERATOR$/);
  assert.match(lines[1] ?? '', /^sms-0\s+yes\s+0\s+closed\s+0% of \d+\s+0%\s+sms:g1:1\/1 lms:g1:1\/1\s+-$/);
  assert.match(lines[2] ?? '', /^sms-1\s+yes\s+0\s+closed\s+0% of \d+\s+0%\s+sms:g1:1\/1 lms:g2:1\/1\s+-$/);

  const drained = await cli('drain', 'sms-0', '--json');
  assert.equal(drained.code, 0, drained.stderr);
  assert.deepEqual(
    (JSON.parse(drained.stdout) as Record<string, unknown>[]).map((s) => [s['providerId'], s['drained'], s['breaker']]),
    [['sms-0', true, 'closed']],
  );
  const whileDrained = await sendDelivered(client, 30, 'drained');
  assert.equal(receivedOf(a, whileDrained), 0, 'a drained supplier gets no new messages');
  assert.equal(receivedOf(b, whileDrained), 30);

  const switched = await cli('switch', 'sms-1', 'sms-0');
  assert.equal(switched.code, 0, switched.stderr);
  assert.match(switched.stdout, /^switched sms, lms from sms-1 to sms-0\n/);
  assert.match(switched.stdout, /\nsms-0 .* preferred\n/);
  assert.match(switched.stdout, /\nsms-1 .* drained\n/);
  const afterSwitch = await sendDelivered(client, 30, 'switched');
  assert.equal(receivedOf(a, afterSwitch), 30, 'all traffic moved to the supplier switched to');

  const resumed = await cli('resume', 'sms-1');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /\nsms-1\s+yes\s.*\s-\n$/);
  const listedJson = await cli('list', '--json');
  const states = JSON.parse(listedJson.stdout) as Record<string, unknown>[];
  assert.deepEqual(states.map((s) => [s['providerId'], s['drained'], s['preferred'], s['connected']]), [
    ['sms-0', false, true, true],
    ['sms-1', false, false, true],
  ]);
});

test('operator state survives a config reload for suppliers that remain; unknown ids, tenant keys and bad switches are refused clearly', async (t) => {
  const { node, client, raw, a, b } = await startTwoSuppliers(t);
  const drained = await adminCall<ProviderState>(node.address, OPERATOR_KEY, 'drainProvider', { providerId: 'sms-1' });
  assert.equal(drained.drained, true);
  assert.equal(drained.breaker, BreakerState.BREAKER_STATE_CLOSED);

  // A reload that changes sms-1's settings (its connector is replaced) keeps it drained.
  ((raw['providers'] as Record<string, unknown>[])[1] as Record<string, unknown>)['window'] = 500;
  const reloaded = await node.reload(compileTestConfig(raw));
  assert.deepEqual(reloaded, { ok: true, providersAdded: [], providersRemoved: [], providersChanged: ['sms-1'] });
  const ids = await sendDelivered(client, 30, 'after-reload');
  assert.equal(receivedOf(b, ids), 0, 'still drained after the reload');
  assert.equal(receivedOf(a, ids), 30);
  const { providers } = await adminCall<{ providers: ProviderState[] }>(node.address, OPERATOR_KEY, 'listProviders', {});
  assert.deepEqual(providers.map((p) => [p.providerId, p.drained]), [['sms-0', false], ['sms-1', true]]);

  await assert.rejects(adminCall(node.address, OPERATOR_KEY, 'drainProvider', { providerId: 'nope' }), {
    code: Status.NOT_FOUND,
    details: 'provider_id "nope" is not a configured provider; configured: sms-0, sms-1',
  });
  await assert.rejects(adminCall(node.address, TEST_API_KEY, 'listProviders', {}), { code: Status.PERMISSION_DENIED });
  await assert.rejects(adminCall(node.address, OPERATOR_KEY, 'switchProvider', { fromProviderId: 'sms-0', toProviderId: 'sms-0' }), {
    code: Status.INVALID_ARGUMENT,
    details: 'from_provider_id and to_provider_id are both "sms-0"; give two different providers',
  });
  const bad = await runCli(t, ['providers', 'drain', 'nope', '--target', node.address, '--api-key', OPERATOR_KEY]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'switchboard: NOT_FOUND: provider_id "nope" is not a configured provider; configured: sms-0, sms-1\n');
  const usage = await runCli(t, ['providers', 'switch', 'sms-0', '--target', node.address, '--api-key', OPERATOR_KEY]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /"providers switch" takes 2 provider id\(s\), got 1/);
});

test('on Redis, a drain made on one node holds on every node and across a restart; a resume on another node lifts it everywhere', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.destroy());
  const store = { kind: 'redis', url: redis.url, keyPrefix: `op${Date.now().toString(36)}`, shards: 2 };
  const first = await startTwoSuppliers(t, store);
  const { a, b, raw } = first;
  const secondNode = async () => {
    const node = await startGatewayNode(compileTestConfig(raw));
    const client = new GatewayTestClient(node.address, TEST_API_KEY);
    const stop = async () => {
      client.close();
      await node.stop();
    };
    t.after(stop);
    return { node, client, stop };
  };
  const second = await secondNode();
  const drainedOn = async (address: string): Promise<string[]> =>
    (await adminCall<{ providers: ProviderState[] }>(address, OPERATOR_KEY, 'listProviders', {})).providers.filter((p) => p.drained).map((p) => p.providerId);

  assert.equal((await adminCall<ProviderState>(first.node.address, OPERATOR_KEY, 'drainProvider', { providerId: 'sms-0' })).drained, true);
  await waitFor(async () => (await drainedOn(second.node.address)).includes('sms-0'), 5_000, 'the other node to apply the drain');
  const viaSecond = await sendDelivered(second.client, 30, 'other-node');
  assert.equal(receivedOf(a, viaSecond), 0, 'the other node sends nothing to the drained supplier');
  assert.equal(receivedOf(b, viaSecond), 30);

  // A node started afterwards (a restart) finds the drain before it dispatches anything.
  await second.stop();
  const third = await secondNode();
  assert.deepEqual(await drainedOn(third.node.address), ['sms-0']);
  const viaThird = await sendDelivered(third.client, 20, 'restarted');
  assert.equal(receivedOf(a, viaThird), 0);

  assert.equal((await adminCall<ProviderState>(third.node.address, OPERATOR_KEY, 'resumeProvider', { providerId: 'sms-0' })).drained, false);
  await waitFor(async () => (await drainedOn(first.node.address)).length === 0, 5_000, 'the first node to apply the resume');
  const afterResume = await sendDelivered(first.client, 40, 'resumed');
  assert.ok(receivedOf(a, afterResume) > 0, 'the resumed supplier takes traffic again');

  // A Redis that does not answer: the drain fails with UNAVAILABLE (the write may still land when
  // Redis wakes), and repeating it once Redis is back is safe.
  redis.freeze();
  try {
    await assert.rejects(adminCall(first.node.address, OPERATOR_KEY, 'drainProvider', { providerId: 'sms-1' }), (error: ServiceError) => {
      assert.equal(error.code, Status.UNAVAILABLE);
      assert.match(error.details, /^the store did not confirm the change \(Redis is unavailable: .*\); it may still apply on every node: repeat the command, or check with "switchboard providers list"$/);
      return true;
    });
  } finally {
    redis.thaw();
  }
  assert.equal((await adminCall<ProviderState>(first.node.address, OPERATOR_KEY, 'drainProvider', { providerId: 'sms-1' })).drained, true);
  assert.deepEqual(await drainedOn(first.node.address), ['sms-1']);
});
