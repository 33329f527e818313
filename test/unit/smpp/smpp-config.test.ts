import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../../src/config/load-config-file.js';
import { parseConfig, type ConfigIssue } from '../../../src/config/parse-config.js';
import { runCli } from '../../helpers/cli-process.js';

/** A valid raw config whose only provider is an SMSC. */
function rawWithSmpp(provider: Record<string, unknown> = {}): Record<string, any> {
  return {
    tenants: [{ id: 'bank', apiKeys: ['bank-api-key-0000001'], senderNumbers: ['15880000'] }],
    providers: [{ id: 'kt-smpp', kind: 'smpp', address: '127.0.0.1:2775', channels: ['sms', 'lms'], systemId: 'switchboard', password: 'secret', ...provider }],
    routing: { channels: { sms: ['kt-smpp'], lms: ['kt-smpp'] } },
  };
}

function issuesOf(raw: Record<string, any>): ConfigIssue[] {
  const result = parseConfig(raw);
  return result.ok ? [] : result.issues;
}

test('an smpp provider compiles with its defaults in milliseconds', () => {
  const result = parseConfig(rawWithSmpp());
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  assert.deepEqual(result.config.providers[0], {
    id: 'kt-smpp',
    kind: 'smpp',
    address: '127.0.0.1:2775',
    channels: ['sms', 'lms'],
    window: 10,
    connectTimeoutMs: 2000,
    reconnectBackoffMs: 200,
    maxReconnectBackoffMs: 10_000,
    systemId: 'switchboard',
    password: 'secret',
    systemType: '',
    enquireLinkIntervalMs: 30_000,
    responseTimeoutMs: 10_000,
    sourceTon: 0,
    sourceNpi: 1,
    destTon: 1,
    destNpi: 1,
    dataCoding: 'ucs2',
    maxTrackedReceipts: 200_000,
    tps: 0,
    urgentReserve: 0.2,
  });
});

test('smpp settings are read with their units and data coding', () => {
  const result = parseConfig(rawWithSmpp({ window: 50, enquireLinkInterval: '15s', responseTimeout: '5s', dataCoding: 'ksc5601', sourceTon: 5, sourceNpi: 0, systemType: 'VMA' }));
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  const provider = result.config.providers[0];
  assert.equal(provider?.kind, 'smpp');
  if (provider?.kind !== 'smpp') return;
  assert.deepEqual([provider.window, provider.enquireLinkIntervalMs, provider.responseTimeoutMs, provider.dataCoding, provider.sourceTon, provider.sourceNpi, provider.systemType], [50, 15_000, 5_000, 'ksc5601', 5, 0, 'VMA']);
});

test('schema: an smpp provider carries only sms and lms', () => {
  assert.deepEqual(issuesOf(rawWithSmpp({ channels: ['sms', 'alimtalk'] })), [{ path: 'providers[0].channels[1]', message: 'must be "sms" or "lms": SMPP carries text messages only' }]);
});

test('schema: an smpp provider needs a password or passwordEnv', () => {
  assert.deepEqual(issuesOf(rawWithSmpp({ password: undefined })), [{ path: 'providers[0].password', message: 'give password or passwordEnv' }]);
});

test('schema: a passwordEnv whose variable is not set', () => {
  assert.deepEqual(issuesOf(rawWithSmpp({ password: undefined, passwordEnv: 'KT_SMPP_PASSWORD' })), [{ path: 'providers[0].passwordEnv', message: 'the environment variable it names is not set' }]);
});

test('schema: a passwordEnv that is not a variable name', () => {
  assert.deepEqual(issuesOf(rawWithSmpp({ password: undefined, passwordEnv: 'KT-PASS' })), [{ path: 'providers[0].passwordEnv', message: 'must be an environment variable name, e.g. "KT_SMPP_PASSWORD"' }]);
});

test('schema: SMPP 3.4 field limits, data coding and TON are checked with their paths', () => {
  const issues = issuesOf(rawWithSmpp({ systemId: 'a-system-id-too-long', password: 'toolongpw', dataCoding: 'euc-kr', destTon: 256 }));
  assert.deepEqual(
    issues.map((i) => i.path),
    ['providers[0].systemId', 'providers[0].password', 'providers[0].destTon', 'providers[0].dataCoding'],
  );
  assert.equal(issues.find((i) => i.path === 'providers[0].dataCoding')?.message, 'must be "ucs2" or "ksc5601"');
});

test('the password comes from the variable passwordEnv names when the file is loaded', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smpp-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'config.yaml');
  await writeFile(path, stringify(rawWithSmpp({ password: undefined, passwordEnv: 'KT_SMPP_PASSWORD' })));
  const loaded = await loadConfigFile(path, { KT_SMPP_PASSWORD: 'fromenv' });
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
  const provider = loaded.config.providers[0];
  assert.equal(provider?.kind === 'smpp' && provider.password, 'fromenv');

  // `config check` reports the unset variable with its path.
  const check = await runCli(t, ['config', 'check', path]);
  assert.equal(check.code, 1);
  assert.equal(check.stdout, `${path}: providers[0].passwordEnv: the environment variable it names is not set\n`);
});
