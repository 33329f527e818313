import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli-process.js';
import { TEST_API_KEY } from '../helpers/test-config.js';
import { startTestGateway } from '../helpers/test-gateway.js';

test('switchboard bench --target drives a gateway for its duration and reports what was accepted', async (t) => {
  const gateway = await startTestGateway({ recordIds: false });
  t.after(() => gateway.stop());
  const { code, stdout, stderr } = await runCli(t, [
    'bench', '--target', gateway.node.address, '--api-key', TEST_API_KEY,
    '--concurrency', '2', '--batch-size', '20', '--rate', '400', '--duration', '2',
  ]);
  assert.equal(code, 0, stderr);
  const accepted = Number(/^accepted (\d+)$/m.exec(stdout)?.[1]);
  assert.ok(accepted > 0, stdout);
  assert.match(stdout, /^errors 0$/m);
  assert.match(stdout, /^ack latency ms p50 [\d.]+ p90 [\d.]+ p99 [\d.]+ p99.9 [\d.]+ max [\d.]+$/m);
  // The gateway saw the same messages: they reach the simulated SMS provider.
  assert.ok(gateway.sms.stats().received > 0);
  assert.match(stderr, /accepted \d+\/s/); // the per-second progress lines
});

test('switchboard bench refuses a wrong API key with a non-zero exit', async (t) => {
  const gateway = await startTestGateway();
  t.after(() => gateway.stop());
  const { code, stdout } = await runCli(t, ['bench', '--target', gateway.node.address, '--api-key', 'not-a-key', '--duration', '1']);
  assert.equal(code, 1);
  assert.match(stdout, /^accepted 0$/m);
  assert.match(stdout, /UNAUTHENTICATED|16:/);
});

test('switchboard bench without --target is a usage error', async (t) => {
  const { code, stderr } = await runCli(t, ['bench', '--duration', '1']);
  assert.equal(code, 2);
  assert.match(stderr, /--target is required/);
});
