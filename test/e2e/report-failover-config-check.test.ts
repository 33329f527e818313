// `switchboard config check` on the report-driven failover fields: routing.reportTimeouts and routing.retryElsewhereCodes.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli-process.js';

const CONFIG = (failover: string) => `
tenants:
  - id: bank
    apiKeys: [bank-key-0000000000001]
    senderNumbers: ["15880000"]
providers:
  - { id: kt, kind: grpc, address: "127.0.0.1:50061", channels: [sms] }
routing:
  channels:
    sms: [kt]
${failover}
`;

test('config check names each problem of reportTimeouts and retryElsewhereCodes by path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'report-failover-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, CONFIG('  reportTimeouts: { sms: 0, lms: soon }\n  retryElsewhereCodes: { sms: [""] }'));
  const result = await runCli(t, ['config', 'check', bad]);
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stdout.trimEnd().split('\n').map((l) => l.slice(bad.length + 2));
  assert.ok(lines.includes('routing.reportTimeouts.sms: must be longer than 0, e.g. "30s"'), lines.join('\n'));
  assert.ok(lines.includes('routing.reportTimeouts.lms: "soon" is not a duration; use e.g. "500ms", "30s", "5m", "24h"'), lines.join('\n'));
  assert.ok(lines.includes('routing.retryElsewhereCodes.sms[0]: must not be empty'), lines.join('\n'));

  const references = join(dir, 'references.yaml');
  await writeFile(references, CONFIG('  reportTimeouts: { sms: 10m, alimtalk: 30s }\n  retryElsewhereCodes: { lms: [CARRIER_BUSY] }'));
  const refResult = await runCli(t, ['config', 'check', references]);
  assert.deepEqual(refResult.stdout.trimEnd().split('\n'), [
    `${references}: routing.reportTimeouts.alimtalk: channel "alimtalk" has no providers in routing.channels`,
    `${references}: routing.retryElsewhereCodes.lms: channel "lms" has no providers in routing.channels`,
  ]);

  const good = join(dir, 'good.yaml');
  await writeFile(good, CONFIG('  reportTimeouts: { sms: 10m }\n  retryElsewhereCodes: { sms: [CARRIER_BUSY] }'));
  const ok = await runCli(t, ['config', 'check', good]);
  assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, `${good}: ok\n`, '']);
});
