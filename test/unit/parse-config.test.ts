import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { loadConfigFile } from '../../src/config/load-config-file.js';
import { formatPath, parseConfig, type ConfigIssue } from '../../src/config/parse-config.js';

/** A minimal valid raw config, as a YAML file would hold it. */
function validRaw(): Record<string, any> {
  return {
    tenants: [
      { id: 'bank', apiKeys: ['bank-api-key-0000001'], senderNumbers: ['15880000'] },
      { id: 'card', apiKeys: ['card-api-key-0000001'], senderNumbers: ['15990000'] },
    ],
    providers: [
      { id: 'sms-a', kind: 'grpc', address: '127.0.0.1:50061', channels: ['sms', 'lms'] },
      { id: 'kakao', kind: 'grpc', address: '127.0.0.1:50063', channels: ['alimtalk'] },
    ],
    routing: { channels: { sms: ['sms-a'], lms: ['sms-a'], alimtalk: ['kakao'] } },
    templates: [
      { id: 'welcome', variables: ['name'], subject: 'Hi {{name}}', body: '{{name}}님, 환영합니다.', channels: { alimtalk: { templateCode: 'WELCOME_001', body: '{{name}}님' } } },
      { id: 'static', body: 'no variables' },
    ],
  };
}

/** The issues parseConfig reports for the valid config after `change`; [] when it is accepted. */
function issuesAfter(change: (raw: Record<string, any>) => void): ConfigIssue[] {
  const raw = validRaw();
  change(raw);
  const result = parseConfig(raw);
  return result.ok ? [] : result.issues;
}

test('the minimal config is valid and compiles with defaults in milliseconds', () => {
  const result = parseConfig(validRaw());
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  const { config } = result;
  assert.deepEqual(config.server, { listen: '127.0.0.1:50051', metricsListen: null, maxReceiveMessageBytes: 4 * 1024 * 1024, maxConcurrentStreams: 100, streamIdleTimeoutMs: 300_000, connectionIdleTimeoutMs: 1_800_000, shutdownGraceMs: 10_000, operatorApiKeys: [], tls: null, operatorCertNames: [] });
  assert.equal(config.store.kind, 'memory');
  assert.deepEqual(config.limits, { maxBatchSize: 1000, maxBodyBytes: 4000, maxVariableBytes: 1000, defaultTtlMs: 86_400_000, maxTtlMs: 7 * 86_400_000, queueFullWaitMs: 5_000 });
  assert.deepEqual(config.dispatcher, { concurrency: 4, retryBackoffMs: 500, maxRetryBackoffMs: 30_000, maxDeferWaitMs: 3_600_000 });
  assert.equal(config.tenantsByApiKey.get('card-api-key-0000001')?.id, 'card');
  assert.equal(config.tenants.get('bank')?.allowInternational, false);
  assert.equal(config.routing.defaultChannel, 'sms');
  assert.deepEqual(config.routing.templates['welcome']?.variants.alimtalk, { subject: 'Hi {{name}}', body: '{{name}}님', templateCode: 'WELCOME_001', buttons: [], data: {} });
  assert.deepEqual(config.routing.templates['static']?.variables, []);
  // The advertising night window: 21:00 to 08:00 KST, FriendTalk from 20:00, held messages deferred.
  assert.deepEqual(config.routing.nightBan, { startMinuteKst: 1260, endMinuteKst: 480, friendtalkStartMinuteKst: 1200, mode: 'defer' });
});

test('routing.nightBan times compile to minutes after midnight KST', () => {
  const result = parseConfig({ ...validRaw(), routing: { ...validRaw()['routing'], nightBan: { start: '22:30', end: '07:05', friendtalkStart: '19:00', mode: 'reject' } } });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  assert.deepEqual(result.config.routing.nightBan, { startMinuteKst: 1350, endMinuteKst: 425, friendtalkStartMinuteKst: 1140, mode: 'reject' });
});

test('durations accept "ms", "s", "m", "h", "d" and plain milliseconds', () => {
  const result = parseConfig({ ...validRaw(), server: { shutdownGrace: '1.5s' }, limits: { defaultTtl: '30m', maxTtl: '2d' }, dispatcher: { retryBackoff: 250, maxRetryBackoff: '1h' } });
  assert.ok(result.ok);
  assert.equal(result.config.server.shutdownGraceMs, 1500);
  assert.equal(result.config.limits.defaultTtlMs, 30 * 60_000);
  assert.equal(result.config.limits.maxTtlMs, 2 * 86_400_000);
  assert.equal(result.config.dispatcher.retryBackoffMs, 250);
  assert.equal(result.config.dispatcher.maxRetryBackoffMs, 3_600_000);
});

test('the demo config parses', async () => {
  const text = await readFile(new URL('../../../config/demo.yaml', import.meta.url), 'utf8');
  const result = parseConfig(parseYaml(text));
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  assert.equal(result.config.server.shutdownGraceMs, 5000);
  assert.deepEqual(result.config.providers.map((p) => p.id), ['sim-sms-a', 'sim-sms-b', 'sim-kakao']);
  assert.equal(result.config.tenantsByApiKey.get('demo-api-key-not-secret')?.id, 'demo');
  assert.deepEqual(Object.keys(result.config.routing.templates), ['welcome', 'card-approval', 'otp']);
});

// --- schema.ts: one test per message of its own ---

test('schema: a duration that is not one', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['server'] = { shutdownGrace: '10 seconds' })), [
    { path: 'server.shutdownGrace', message: '"10 seconds" is not a duration; use e.g. "500ms", "30s", "5m", "24h"' },
  ]);
});

test('schema: an address without host and port', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['providers'][0].address = 'localhost')), [
    { path: 'providers[0].address', message: 'must be "host:port", e.g. "127.0.0.1:50051"' },
  ]);
  assert.deepEqual(issuesAfter((raw) => (raw['server'] = { listen: ':50051' })), [{ path: 'server.listen', message: 'must be "host:port", e.g. "127.0.0.1:50051"' }]);
  assert.deepEqual(issuesAfter((raw) => (raw['server'] = { listen: '[::1]:50051' })), []);
});

test('schema: an id that is not lower-case letters, digits, "-" or "_"', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['tenants'][0].id = 'Bank Corp')), [
    { path: 'tenants[0].id', message: 'must be lower-case letters, digits, "-" or "_", at most 63 characters' },
  ]);
  assert.deepEqual(issuesAfter((raw) => (raw['routing'].channels.sms = ['SMS-A'])), [
    { path: 'routing.channels.sms[0]', message: 'must be lower-case letters, digits, "-" or "_", at most 63 characters' },
  ]);
});

test('schema: a sender number that is not 3 to 15 digits', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['tenants'][1].senderNumbers = ['1588-0000'])), [
    { path: 'tenants[1].senderNumbers[0]', message: 'must be 3 to 15 digits, e.g. "15880000"' },
  ]);
});

test('schema: an API key shorter than 16 characters', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['tenants'][0].apiKeys = ['bank-api-key-0000001', 'short'])), [
    { path: 'tenants[0].apiKeys[1]', message: 'must be at least 16 characters' },
  ]);
});

test('tenants[].acceptRate compiles with its urgent reserve; a tenant without one has none', () => {
  const raw = validRaw();
  raw['tenants'][0].acceptRate = { perSecond: 500 };
  const result = parseConfig(raw);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  assert.deepEqual(result.config.tenants.get('bank')?.acceptRate, { perSecond: 500, urgentReserve: 0.1 });
  assert.equal(result.config.tenants.get('card')?.acceptRate, null);
});

test('schema: an accept rate that is not more than 0, or a reserve that leaves nothing', () => {
  assert.deepEqual(
    issuesAfter((raw) => {
      raw['tenants'][0].acceptRate = { perSecond: 0 };
      raw['tenants'][1].acceptRate = { perSecond: 10, urgentReserve: 1 };
    }),
    [
      { path: 'tenants[0].acceptRate.perSecond', message: 'must be more than 0 messages a second, e.g. 500' },
      { path: 'tenants[1].acceptRate.urgentReserve', message: 'must be at most 0.9, so non-urgent messages get some of each second' },
    ],
  );
});

test('certificate names need client certificates: without server.tls.clientCaFile they are refused', () => {
  assert.deepEqual(
    issuesAfter((raw) => {
      raw['server'] = { tls: { certFile: 'server.crt', keyFile: 'server.key' }, operatorCertNames: ['ops'] };
      raw['tenants'][1].clientCertNames = ['card-batch'];
    }),
    [
      { path: 'server.operatorCertNames', message: 'needs server.tls.clientCaFile: without client certificates there is no name to check' },
      { path: 'tenants[1].clientCertNames', message: 'needs server.tls.clientCaFile: without client certificates there is no name to check' },
    ],
  );
  const result = parseConfig({ ...validRaw(), server: { tls: { certFile: 's.crt', keyFile: 's.key', clientCaFile: 'ca.crt', refreshInterval: '5m' } } });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  assert.deepEqual(result.config.server.tls, { certFile: 's.crt', keyFile: 's.key', clientCaFile: 'ca.crt', refreshIntervalMs: 300_000 });
});

test('schema: a supplier TLS client certificate without its key', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['providers'][0].tls = { caFile: 'ca.crt', certFile: 'gw.crt' })), [
    { path: 'providers[0].tls.certFile', message: 'certFile and keyFile go together: give both for mutual TLS, or neither' },
  ]);
});

test('store.encryption: keys from the file or the environment, sealWith defaulting to the first; bad keys named by path', async (t) => {
  const good = 'A'.repeat(43) + '=';
  const redisWith = (encryption: unknown) => (raw: Record<string, any>) => (raw['store'] = { kind: 'redis', encryption });
  assert.deepEqual(
    issuesAfter(redisWith({ keys: [{ id: 'k1', key: 'c2hvcnQ=' }, { id: 'k2' }, { id: 'k3', keyEnv: 'SB_UNSET_KEY' }], sealWith: 'k9' })),
    [
      { path: 'store.encryption.keys[0].key', message: 'must be 32 bytes in base64, e.g. from "openssl rand -base64 32"' },
      { path: 'store.encryption.keys[1].key', message: 'give key or keyEnv' },
      { path: 'store.encryption.keys[2].keyEnv', message: 'the environment variable keyEnv names is not set' },
      { path: 'store.encryption.sealWith', message: 'must be the id of one of the keys' },
    ],
  );
  assert.deepEqual(issuesAfter(redisWith({ keys: [{ id: 'k1', key: good }, { id: 'k1', key: good }] })), [{ path: 'store.encryption.keys', message: 'key ids must differ' }]);

  const dir = await mkdtemp(join(tmpdir(), 'sb-keys-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'config.yaml');
  const raw = validRaw();
  raw['store'] = { kind: 'redis', encryption: { keys: [{ id: 'old', keyEnv: 'SB_OLD_KEY' }, { id: 'new', key: good }] } };
  await writeFile(path, stringifyYaml(raw));
  const loaded = await loadConfigFile(path, { SB_OLD_KEY: good });
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
  assert.deepEqual(loaded.config.store.kind === 'redis' && loaded.config.store.encryption, { keys: [{ id: 'old', key: good }, { id: 'new', key: good }], sealWith: 'old' });
});

test('schema: a template variable that is not an identifier', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['templates'][0].variables = ['name', 'first-name'])), [
    { path: 'templates[0].variables[1]', message: 'must be an identifier' },
  ]);
});

test('schema: a Redis store URL that is not redis:// or rediss://', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['store'] = { kind: 'redis', url: 'http://127.0.0.1:6379' })), [
    { path: 'store.url', message: 'must be a redis:// or rediss:// URL' },
  ]);
});

test('schema: a Redis key prefix with other characters', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['store'] = { kind: 'redis', keyPrefix: 'sb:prod' })), [
    { path: 'store.keyPrefix', message: 'must be 1 to 32 letters, digits, "-" or "_"' },
  ]);
});

test('schema: sentinels without sentinelName, or the other way round', () => {
  const message = 'sentinels and sentinelName go together';
  assert.deepEqual(issuesAfter((raw) => (raw['store'] = { kind: 'redis', sentinels: ['127.0.0.1:26379'] })), [{ path: 'store.sentinelName', message }]);
  assert.deepEqual(issuesAfter((raw) => (raw['store'] = { kind: 'redis', sentinelName: 'primary' })), [{ path: 'store.sentinelName', message }]);
  assert.deepEqual(issuesAfter((raw) => (raw['store'] = { kind: 'redis', sentinels: ['127.0.0.1:26379'], sentinelName: 'primary' })), []);
});

test('schema: unknown keys are refused at every level (strict)', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['tenant'] = {})), [{ path: '(root)', message: 'Unrecognized key: "tenant"' }]);
  assert.deepEqual(issuesAfter((raw) => (raw['providers'][0].windows = 10)), [{ path: 'providers[0]', message: 'Unrecognized key: "windows"' }]);
});

test('schema: every problem is reported in one pass, each with its path', () => {
  const issues = issuesAfter((raw) => {
    raw['server'] = { listen: 'nowhere', shutdownGrace: 'soon' };
    raw['tenants'][0].senderNumbers = ['x'];
    raw['templates'][1].variables = ['9'];
  });
  assert.deepEqual(
    issues.map((i) => i.path),
    ['server.listen', 'server.shutdownGrace', 'tenants[0].senderNumbers[0]', 'templates[1].variables[0]'],
  );
});

test('formatPath writes keys with dots and indexes in brackets', () => {
  assert.equal(formatPath(['routing', 'channels', 'sms', 1]), 'routing.channels.sms[1]');
  assert.equal(formatPath([0, 'id']), '[0].id');
  assert.equal(formatPath([]), '(root)');
  assert.deepEqual(parseConfig(null), { ok: false, issues: [{ path: '(root)', message: 'Invalid input: expected object, received null' }] });
});

// --- parse-config.ts: one test per message ---

test('a duplicate tenant id', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['tenants'][1].id = 'bank')), [{ path: 'tenants[1].id', message: 'duplicate tenant id "bank"' }]);
});

test('a duplicate provider id', () => {
  assert.deepEqual(
    issuesAfter((raw) => raw['providers'].push({ id: 'sms-a', kind: 'grpc', address: '127.0.0.1:50062', channels: ['sms', 'lms'] })),
    [{ path: 'providers[2].id', message: 'duplicate provider id "sms-a"' }],
  );
});

test(
  'a duplicate provider id with other channels is reported alone, without follow-on route errors',
  () => {
    assert.deepEqual(
      issuesAfter((raw) => raw['providers'].push({ id: 'sms-a', kind: 'grpc', address: '127.0.0.1:50062', channels: ['sms'] })),
      [{ path: 'providers[2].id', message: 'duplicate provider id "sms-a"' }],
    );
  },
);

test('a duplicate template id', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['templates'][1].id = 'welcome')), [{ path: 'templates[1].id', message: 'duplicate template id "welcome"' }]);
});

test('an API key used by two tenants', () => {
  assert.deepEqual(issuesAfter((raw) => raw['tenants'][1].apiKeys.push('bank-api-key-0000001')), [
    { path: 'tenants[1].apiKeys[1]', message: 'API key is already used by tenant "bank"' },
  ]);
});

test('a route to an unknown provider', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['routing'].channels.sms = ['sms-a', 'kt-lms'])), [
    { path: 'routing.channels.sms[1]', message: 'unknown provider "kt-lms"' },
  ]);
});

test('a route to a provider that does not carry the channel', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['routing'].channels.alimtalk = ['sms-a'])), [
    { path: 'routing.channels.alimtalk[0]', message: 'provider "sms-a" does not carry channel "alimtalk" (it carries sms, lms)' },
  ]);
});

test('a default channel without providers', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['routing'].defaultChannel = 'push')), [
    { path: 'routing.defaultChannel', message: 'channel "push" has no providers in routing.channels' },
  ]);
  // The default of defaultChannel is sms, so routing sms nowhere is reported too.
  assert.deepEqual(issuesAfter((raw) => delete raw['routing'].channels.sms), [{ path: 'routing.defaultChannel', message: 'channel "sms" has no providers in routing.channels' }]);
});

test('an AlimTalk variant without its template code', () => {
  assert.deepEqual(issuesAfter((raw) => delete raw['templates'][0].channels.alimtalk.templateCode), [
    { path: 'templates[0].channels.alimtalk.templateCode', message: 'an AlimTalk variant needs its approved template code' },
  ]);
});

test('a placeholder that is not a declared variable, in any text of a template', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['templates'][0].body = '{{name}} {{ amount }}')), [
    { path: 'templates[0].body', message: 'placeholder "{{amount}}" is not in variables (name)' },
  ]);
  assert.deepEqual(issuesAfter((raw) => (raw['templates'][0].subject = '{{title}}')), [
    { path: 'templates[0].subject', message: 'placeholder "{{title}}" is not in variables (name)' },
  ]);
  assert.deepEqual(issuesAfter((raw) => (raw['templates'][0].channels.alimtalk.body = '{{nick}}')), [
    { path: 'templates[0].channels.alimtalk.body', message: 'placeholder "{{nick}}" is not in variables (name)' },
  ]);
  assert.deepEqual(issuesAfter((raw) => (raw['templates'][1].body = 'code {{code}}')), [
    { path: 'templates[1].body', message: 'placeholder "{{code}}" is not in variables (none)' },
  ]);
});

test('reference problems are all reported together', () => {
  const issues = issuesAfter((raw) => {
    raw['tenants'][1].id = 'bank';
    raw['routing'].channels.sms = ['nope'];
    raw['templates'][1].body = '{{x}}';
  });
  assert.deepEqual(
    issues.map((i) => i.path),
    ['tenants[1].id', 'routing.channels.sms[0]', 'templates[1].body'],
  );
});

// --- the advertising night window (routing.nightBan) and how long a held message waits ---

test('schema: a nightBan.start that is not HH:MM', () => {
  for (const start of ['9pm', '9:00', '24:00', '21:60', 2100]) {
    assert.deepEqual(issuesAfter((raw) => (raw['routing'].nightBan = { start })), [
      { path: 'routing.nightBan.start', message: 'must be HH:MM in KST, e.g. "21:00"' },
    ], String(start));
  }
});

test('schema: a nightBan.end that is not HH:MM', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['routing'].nightBan = { end: '8:00' })), [
    { path: 'routing.nightBan.end', message: 'must be HH:MM in KST, e.g. "08:00"' },
  ]);
});

test('schema: a nightBan.friendtalkStart that is not HH:MM', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['routing'].nightBan = { friendtalkStart: '20h' })), [
    { path: 'routing.nightBan.friendtalkStart', message: 'must be HH:MM in KST, e.g. "20:00"' },
  ]);
});

test('schema: a nightBan.mode other than defer or reject', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['routing'].nightBan = { mode: 'drop' })), [
    { path: 'routing.nightBan.mode', message: 'must be "defer" or "reject"' },
  ]);
});

test('schema: a FriendTalk cut that starts after the legal ban', () => {
  const message = 'must not be later than start: FriendTalk advertising is held at least whenever advertising is';
  assert.deepEqual(issuesAfter((raw) => (raw['routing'].nightBan = { friendtalkStart: '21:30' })), [{ path: 'routing.nightBan.friendtalkStart', message }]);
  assert.deepEqual(issuesAfter((raw) => (raw['routing'].nightBan = { start: '00:30', friendtalkStart: '01:00' })), [{ path: 'routing.nightBan.friendtalkStart', message }]);
  // Earlier counts around the clock: 23:00 is before 00:30 in a window that ends at 08:00.
  assert.deepEqual(issuesAfter((raw) => (raw['routing'].nightBan = { start: '00:30', friendtalkStart: '23:00' })), []);
  assert.deepEqual(issuesAfter((raw) => (raw['routing'].nightBan = { friendtalkStart: '21:00' })), []);
});

test('schema: a dispatcher.maxDeferWait of 0', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['dispatcher'] = { maxDeferWait: 0 })), [
    { path: 'dispatcher.maxDeferWait', message: 'must be longer than 0, e.g. "1h"' },
  ]);
});

test('router.workers that is neither a number nor "auto"', () => {
  assert.deepEqual(issuesAfter((raw) => (raw['router'] = { workers: 'many' })), [
    { path: 'router.workers', message: 'must be a number of threads from 0 to 64, or "auto"' },
  ]);
});

test('routing.routes compile in order, with default names and absent conditions as null', () => {
  const result = parseConfig({
    ...validRaw(),
    routing: { ...validRaw()['routing'], routes: [{ name: 'kakao-first', match: { tenants: ['bank'], kinds: ['informational'], countries: ['+82'] }, chain: ['alimtalk', 'lms'] }, { chain: ['sms'] }] },
  });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  assert.deepEqual(result.config.routing.routes, [
    { name: 'kakao-first', tenants: ['bank'], kinds: ['informational'], priorities: null, tags: null, countries: ['+82'], chain: ['alimtalk', 'lms'] },
    { name: 'routes[1]', tenants: null, kinds: null, priorities: null, tags: null, countries: null, chain: ['sms'] },
  ]);
});

test('config check reports bad routes with their path: unknown channel, channel without providers, unknown tenant, repeats', () => {
  const routes = [
    { chain: ['sms'] },
    { match: { tenants: ['bank', 'nobody'] }, chain: ['sms'] },
    { name: 'kakao', chain: ['alimtalk', 'kakao_alimtak'] },
  ];
  assert.deepEqual(
    issuesAfter((raw) => (raw['routing'].routes = routes)),
    [{ path: 'routing.routes[2].chain[1]', message: 'unknown channel "kakao_alimtak" (known: sms, lms, mms, alimtalk, friendtalk, push)' }],
  );
  assert.deepEqual(
    issuesAfter((raw) => (raw['routing'].routes = [...routes.slice(0, 2), { name: 'kakao', chain: ['alimtalk', 'push', 'alimtalk'] }, { name: 'kakao', match: { countries: ['82'] }, chain: ['sms'] }])),
    [{ path: 'routing.routes[3].match.countries[0]', message: 'must be a country calling code, e.g. "+82"' }],
  );
  assert.deepEqual(
    issuesAfter((raw) => (raw['routing'].routes = [...routes.slice(0, 2), { name: 'kakao', chain: ['alimtalk', 'push', 'alimtalk'] }, { name: 'kakao', chain: ['sms'] }])),
    [
      { path: 'routing.routes[1].match.tenants[1]', message: 'unknown tenant "nobody"' },
      { path: 'routing.routes[2].chain[1]', message: 'channel "push" has no providers in routing.channels' },
      { path: 'routing.routes[2].chain[2]', message: 'channel "alimtalk" is already in the chain' },
      { path: 'routing.routes[3].name', message: 'duplicate route name "kakao" (also routing.routes[2])' },
    ],
  );
});

test('template variables may declare a type; variant fields are checked per channel and for placeholders', () => {
  const result = parseConfig({ ...validRaw(), templates: [{ id: 'pay', variables: ['name', { name: 'amount', type: 'amount' }, { name: 'at' }], body: '{{name}} {{amount}} {{at}}' }] });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
  assert.deepEqual(result.config.routing.templates['pay']?.variables, ['name', 'amount', 'at']);
  assert.deepEqual(result.config.routing.templates['pay']?.variableTypes, { name: 'string', amount: 'amount', at: 'string' });

  assert.deepEqual(
    issuesAfter((raw) => (raw['templates'] = [{ id: 'x', variables: ['a', { name: 'a', type: 'date' }], body: '{{a}}', channels: { sms: { body: '{{a}}', buttons: [{ type: 'WL', name: '{{b}}' }] }, alimtalk: { templateCode: 'X', body: 'x', data: { k: 'v' } } } }])),
    [
      { path: 'templates[0].variables[1]', message: 'variable "a" is declared twice' },
      { path: 'templates[0].channels.sms.buttons', message: 'buttons are for AlimTalk and FriendTalk variants only' },
      { path: 'templates[0].channels.alimtalk.data', message: 'title and data are for push variants only' },
      { path: 'templates[0].channels.sms.buttons[0].name', message: 'placeholder "{{b}}" is not in variables (a)' },
    ],
  );
  assert.deepEqual(issuesAfter((raw) => (raw['templates'] = [{ id: 'x', variables: [{ name: 'a', type: 'money' }], body: '{{a}}' }])).map((i) => i.path), ['templates[0].variables[0]']);
});

test('provider connection settings: defaults, and problems reported with their path', () => {
  const result = parseConfig(validRaw());
  assert.ok(result.ok);
  const provider = result.config.providers[0];
  assert.ok(provider?.kind === 'grpc');
  assert.deepEqual(
    { connections: provider?.connections, keepaliveTimeMs: provider?.keepaliveTimeMs, keepaliveTimeoutMs: provider?.keepaliveTimeoutMs, answerTimeoutMs: provider?.answerTimeoutMs, tps: provider?.tps, urgentReserve: provider?.urgentReserve },
    { connections: 1, keepaliveTimeMs: 10_000, keepaliveTimeoutMs: 5_000, answerTimeoutMs: 30_000, tps: 0, urgentReserve: 0.2 },
  );
  const paths = issuesAfter((raw) => Object.assign(raw['providers'][0], { connections: 0, keepaliveTime: 'soon', tps: -1, urgentReserve: 1 })).map((i) => i.path);
  assert.deepEqual(paths.sort(), ['providers[0].connections', 'providers[0].keepaliveTime', 'providers[0].tps', 'providers[0].urgentReserve']);
});
