// `switchboard config check` on the supplier-choice fields: weights, groups and health thresholds.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli-process.js';

const CONFIG = (sms: string, health: string) => `
tenants:
  - id: bank
    apiKeys: [bank-key-0000000000001]
    senderNumbers: ["15880000"]
providers:
  - { id: kt, kind: grpc, address: "127.0.0.1:50061", channels: [sms] }
  - { id: lg, kind: grpc, address: "127.0.0.1:50062", channels: [sms], health: { halfOpenProbes: 0 } }
routing:
  channels:
    sms: ${sms}
${health}
`;

test('config check names each problem of weights, groups and health thresholds by path; the old list form stays valid', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'providers-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, CONFIG('[{ provider: kt, weight: -1 }, { provider: lg, group: 1, priorityGroup: 2 }]', 'providerHealth: { openErrorRate: 2, reportTimeout: soon }'));
  const result = await runCli(t, ['config', 'check', bad]);
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stdout.trimEnd().split('\n').map((l) => l.slice(bad.length + 2));
  assert.ok(lines.some((l) => l.startsWith('routing.channels.sms[0]')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('providerHealth.openErrorRate: ')), lines.join('\n'));
  assert.ok(lines.some((l) => l === 'providerHealth.reportTimeout: "soon" is not a duration; use e.g. "500ms", "30s", "5m", "24h"'), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('providers[1].health.halfOpenProbes: ')), lines.join('\n'));

  const references = join(dir, 'references.yaml');
  await writeFile(references, CONFIG('[{ provider: kt, group: 1, priorityGroup: 2 }, kt]', '').replace('health: { halfOpenProbes: 0 }', 'health: {}'));
  const refResult = await runCli(t, ['config', 'check', references]);
  assert.deepEqual(refResult.stdout.trimEnd().split('\n'), [
    `${references}: routing.channels.sms[0].group: group 1 contradicts priorityGroup 2; give one of them`,
    `${references}: routing.channels.sms[1]: provider "kt" is listed twice for channel "sms"`,
  ]);

  const good = join(dir, 'good.yaml');
  await writeFile(good, CONFIG('[kt, lg]', 'providerHealth: { openCooldown: 5s }').replace('health: { halfOpenProbes: 0 }', 'health: { halfOpenProbes: 2 }'));
  const ok = await runCli(t, ['config', 'check', good]);
  assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, `${good}: ok\n`, '']);
});
