import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/parse-config.js';
import { rawTestConfig } from '../helpers/test-config.js';

function withSms(sms: unknown[], extra: (raw: Record<string, unknown>) => void = () => {}) {
  const raw = rawTestConfig({ sms: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'] });
  const routing = raw['routing'] as { channels: Record<string, unknown> };
  routing.channels['sms'] = sms;
  extra(raw);
  return parseConfig(raw);
}

test('bare ids keep their order as priority groups; objects default to weight 1, group 1', () => {
  const result = withSms(['sms-0', { provider: 'sms-1', weight: 3 }, { provider: 'sms-2', group: 1 }]);
  assert.ok(result.ok);
  assert.deepEqual(result.config.providerChoice.channels.sms, [
    { providerId: 'sms-0', weight: 1, group: 1, order: 0 },
    { providerId: 'sms-1', weight: 3, group: 1, order: 1 },
    { providerId: 'sms-2', weight: 1, group: 1, order: 2 },
  ]);
  assert.deepEqual(result.config.routing.channels.sms, ['sms-0', 'sms-1', 'sms-2'], 'the router still sees provider ids in order');
  const plain = withSms(['sms-0', 'sms-1', 'sms-2']);
  assert.ok(plain.ok);
  assert.deepEqual(plain.config.providerChoice.channels.sms?.map((e) => e.group), [1, 2, 3]);
  assert.equal(plain.config.providerChoice.stickyRecipients, false);
});

test('provider health has defaults, and a provider\'s health block overrides them for that provider only', () => {
  const result = withSms(['sms-0', 'sms-1'], (raw) => {
    raw['providerHealth'] = { openErrorRate: 0.3, openCooldown: '2s' };
    (raw['providers'] as Record<string, unknown>[])[1]!['health'] = { openErrorRate: 0.7, halfOpenProbes: 2 };
  });
  assert.ok(result.ok);
  const health = result.config.providerChoice.health;
  assert.equal(health['sms-0']?.openErrorRate, 0.3);
  assert.equal(health['sms-0']?.openCooldownMs, 2000);
  assert.equal(health['sms-0']?.reportTimeoutMs, 300_000);
  assert.equal(health['sms-1']?.openErrorRate, 0.7);
  assert.equal(health['sms-1']?.halfOpenProbes, 2);
  assert.equal(health['sms-1']?.openCooldownMs, 2000);
});

test('config check names each problem of the new fields with its path', () => {
  const result = withSms([{ provider: 'sms-0', weight: 0 }, { provider: 'sms-1', group: 1, priorityGroup: 2 }, 'sms-0', { provider: 'nope' }], (raw) => {
    raw['providerHealth'] = { openErrorRate: 1.5 };
    (raw['providers'] as Record<string, unknown>[])[2]!['health'] = { window: 'soon' };
  });
  assert.ok(!result.ok);
  const issues = result.issues.map((i) => `${i.path}: ${i.message}`);
  assert.ok(issues.some((i) => i.startsWith('routing.channels.sms[0]')), issues.join('\n'));
  assert.ok(issues.some((i) => i.startsWith('providerHealth.openErrorRate:')), issues.join('\n'));
  assert.ok(issues.some((i) => i.startsWith('providers[2].health.window:')), issues.join('\n'));
  const references = withSms([{ provider: 'sms-1', group: 1, priorityGroup: 2 }, 'sms-1', { provider: 'nope' }]);
  assert.ok(!references.ok);
  assert.deepEqual(
    references.issues.map((i) => `${i.path}: ${i.message}`),
    [
      'routing.channels.sms[0].group: group 1 contradicts priorityGroup 2; give one of them',
      'routing.channels.sms[1]: provider "sms-1" is listed twice for channel "sms"',
      'routing.channels.sms[2]: unknown provider "nope"',
    ],
  );
});
