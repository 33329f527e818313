// The advertising opt-out list through the admin API and the CLI, and its effect on sending.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { credentials, Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import { GatewayAdminClient } from '../../src/gen/switchboard/v1/admin.js';
import { MessageKind, MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { stderrLinesDuring } from '../helpers/capture-stderr.js';
import { runCli } from '../helpers/cli-process.js';
import { stateName, type GatewayTestClient } from '../helpers/gateway-calls.js';
import { OTHER_TENANT_API_KEY, TEST_API_KEY } from '../helpers/test-config.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

function admin(address: string, apiKey: string) {
  const client = new GatewayAdminClient(address, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('x-api-key', apiKey);
  const call = <Res>(method: 'addOptOuts' | 'removeOptOuts' | 'checkOptOuts', phoneNumbers: string[]) =>
    new Promise<Res>((resolve, reject) =>
      (client[method] as unknown as (r: unknown, m: Metadata, cb: (e: ServiceError | null, r: Res) => void) => void).call(client, { phoneNumbers }, metadata, (e, r) => (e ? reject(e) : resolve(r))),
    );
  return { client, call, metadata };
}

async function finalState(client: GatewayTestClient, messageId: string): Promise<{ state: string; code: string }> {
  let result = { state: '', code: '' };
  await waitFor(async () => {
    const status = await client.getStatus(messageId);
    result = { state: stateName(status.state), code: status.history.at(-1)?.code ?? '' };
    return status.state === MessageState.MESSAGE_STATE_DELIVERED || status.state === MessageState.MESSAGE_STATE_FAILED;
  });
  return result;
}

const AD = { content: { body: '이번 주 특별 금리', subject: '' }, kind: MessageKind.MESSAGE_KIND_ADVERTISING };

test('advertising to an opted-out number fails with RECIPIENT_OPTED_OUT; informational still goes; removal lifts it', async (t) => {
  const gw = await startTestGateway({ dlrDelayMs: 0 });
  t.after(() => gw.stop());
  const { client, call } = admin(gw.node.address, TEST_API_KEY);
  t.after(() => client.close());

  assert.deepEqual(await call('addOptOuts', ['010-1234-5678', '+821099998888']), { added: 2 });
  assert.deepEqual(await call('checkOptOuts', ['01012345678', '010-5555-6666']), { optedOut: ['+821012345678'] });

  const ad = await gw.client.send({ ...AD, recipient: '010-1234-5678' });
  assert.deepEqual(await finalState(gw.client, ad.messageId), { state: 'FAILED', code: 'RECIPIENT_OPTED_OUT' });
  assert.equal(gw.sms.received().includes(ad.messageId), false);

  const info = await gw.client.send({ recipient: '010-1234-5678' });
  assert.equal((await finalState(gw.client, info.messageId)).state, 'DELIVERED');

  assert.deepEqual(await call('removeOptOuts', ['010-1234-5678']), { removed: 1 });
  const again = await gw.client.send({ ...AD, recipient: '010-1234-5678' });
  assert.equal((await finalState(gw.client, again.messageId)).state, 'DELIVERED');
});

test('opt-out lists belong to one tenant, and bad numbers are refused by position', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.stop());
  const a = admin(gw.node.address, TEST_API_KEY);
  const b = admin(gw.node.address, OTHER_TENANT_API_KEY);
  t.after(() => {
    a.client.close();
    b.client.close();
  });
  await a.call('addOptOuts', ['010-1234-5678']);
  assert.deepEqual(await b.call('checkOptOuts', ['010-1234-5678']), { optedOut: [] });
  await assert.rejects(a.call('addOptOuts', ['010-1111-2222', '0101234']), (error: ServiceError) => {
    assert.equal(error.code, Status.INVALID_ARGUMENT);
    assert.equal(error.details, 'phone_numbers[1] "0101234" is not a valid Korean mobile number');
    return true;
  });
  await assert.rejects(a.call('checkOptOuts', []), { code: Status.INVALID_ARGUMENT, details: 'phone_numbers is empty' });
  const anonymous = admin(gw.node.address, 'not-a-key-not-a-key');
  t.after(() => anonymous.client.close());
  await assert.rejects(anonymous.call('checkOptOuts', ['010-1234-5678']), { code: Status.UNAUTHENTICATED });
});

test('switchboard opt-out add/check/remove drives the same list', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.stop());
  const target = ['--target', gw.node.address, '--api-key', TEST_API_KEY];
  const added = await runCli(t, ['opt-out', 'add', '010-1234-5678', '010-2222-3333', ...target]);
  assert.equal(added.code, 0, added.stderr);
  assert.equal(added.stdout, 'added 2 (0 already listed)\n');
  const checked = await runCli(t, ['opt-out', 'check', '01012345678', '01099990000', ...target]);
  assert.equal(checked.stdout, '+821012345678\n');
  const removed = await runCli(t, ['opt-out', 'remove', '010-1234-5678', ...target]);
  assert.equal(removed.stdout, 'removed 1 (0 were not listed)\n');
  const bad = await runCli(t, ['opt-out', 'add', '12', ...target]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'switchboard: INVALID_ARGUMENT: phone_numbers[0] "12" is not a valid phone number (use 010-1234-5678 or +821012345678)\n');
});

test('ReloadConfig needs an operator key, reloads the node\'s file, and refuses a broken one with every problem', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { stringify } = await import('yaml');
  const { loadConfigFile } = await import('../../src/config/load-config-file.js');
  const { startGatewayNode } = await import('../../src/gateway/gateway-node.js');
  const { rawTestConfig } = await import('../helpers/test-config.js');
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-admin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'gateway.yaml');
  const raw = rawTestConfig({ sms: ['127.0.0.1:9'] });
  (raw['server'] as Record<string, unknown>)['operatorApiKeys'] = ['operator-key-0000000001'];
  writeFileSync(path, stringify(raw));
  const loaded = await loadConfigFile(path);
  assert.ok(loaded.ok);
  const node = await startGatewayNode(loaded.config, { loadConfig: () => loadConfigFile(path) });
  t.after(() => node.stop());
  const operator = admin(node.address, 'operator-key-0000000001');
  const tenant = admin(node.address, TEST_API_KEY);
  t.after(() => {
    operator.client.close();
    tenant.client.close();
  });
  const reload = (who: ReturnType<typeof admin>) =>
    new Promise<unknown>((resolve, reject) => who.client.reloadConfig({}, who.metadata, (e, r) => (e ? reject(e) : resolve(r))));

  await assert.rejects(reload(tenant), { code: Status.PERMISSION_DENIED, details: 'this call needs an operator API key (server.operatorApiKeys)' });

  (raw['providers'] as Record<string, unknown>[]).push({ id: 'sms-extra', kind: 'grpc', address: '127.0.0.1:9', channels: ['sms'] });
  writeFileSync(path, stringify(raw));
  assert.deepEqual(await reload(operator), { providersAdded: ['sms-extra'], providersRemoved: [], providersChanged: [] });

  (raw['routing'] as { channels: Record<string, string[]> }).channels['sms'] = ['nope'];
  writeFileSync(path, stringify(raw));
  await assert.rejects(reload(operator), {
    code: Status.FAILED_PRECONDITION,
    details: 'reload refused, the previous config keeps serving: routing.channels.sms[0]: unknown provider "nope"',
  });
});

/** The audit records the node writes while `run` runs. */
async function auditRecordsDuring(run: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines = await stderrLinesDuring(run);
  return lines.filter((line) => line.includes('"level":"audit"')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('every admin call, allowed or refused, leaves an audit record: action, outcome, caller, peer, target; never a number or a key', async (t) => {
  const operatorKey = 'operator-key-0000000001';
  const gw = await startTestGateway({}, (raw) => ((raw['server'] as Record<string, unknown>)['operatorApiKeys'] = [operatorKey]));
  t.after(() => gw.stop());
  const tenant = admin(gw.node.address, TEST_API_KEY);
  const operator = admin(gw.node.address, operatorKey);
  const anonymous = admin(gw.node.address, '');
  anonymous.metadata.remove('x-api-key');
  t.after(() => [tenant, operator, anonymous].forEach((a) => a.client.close()));
  const drain = (who: ReturnType<typeof admin>) =>
    new Promise<unknown>((resolve, reject) => who.client.drainProvider({ providerId: 'sms-0' }, who.metadata, (e, r) => (e ? reject(e) : resolve(r))));

  const records = await auditRecordsDuring(async () => {
    await tenant.call('addOptOuts', ['010-1111-2222', '010-3333-4444']);
    await assert.rejects(drain(tenant), { code: Status.PERMISSION_DENIED });
    await drain(operator);
    await assert.rejects(anonymous.call('checkOptOuts', ['010-1111-2222']), { code: Status.UNAUTHENTICATED });
  });

  const fingerprint = (key: string) => `sha256:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
  assert.deepEqual(
    records.map(({ action, outcome, tenant: who, apiKey, target, result }) => ({ action, outcome, tenant: who, apiKey, target, result })),
    [
      { action: 'optOuts.add', outcome: 'OK', tenant: 'tenant-a', apiKey: fingerprint(TEST_API_KEY), target: { numbers: 2 }, result: { added: 2 } },
      { action: 'providers.drain', outcome: 'PERMISSION_DENIED', tenant: undefined, apiKey: fingerprint(TEST_API_KEY), target: { provider: 'sms-0' }, result: undefined },
      { action: 'providers.drain', outcome: 'OK', tenant: undefined, apiKey: fingerprint(operatorKey), target: { provider: 'sms-0' }, result: undefined },
      { action: 'optOuts.check', outcome: 'UNAUTHENTICATED', tenant: undefined, apiKey: null, target: undefined, result: undefined },
    ],
  );
  for (const record of records) {
    assert.match(String(record['peer']), /127\.0\.0\.1:\d+/);
    assert.equal(record['certificate'], null, 'plaintext: no client certificate');
    const text = JSON.stringify(record);
    for (const secret of ['1111', '3333', TEST_API_KEY, operatorKey]) assert.ok(!text.includes(secret), `an audit record holds ${secret}: ${text}`);
  }
});
