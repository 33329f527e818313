import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageState } from '../../src/gen/switchboard/v1/gateway.js';
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

test('switchboard bench --client-refs gives every message its own client_ref, over streams and unary calls', async (t) => {
  const gateway = await startTestGateway();
  t.after(() => gateway.stop());
  let acceptedInAll = 0;
  for (const mode of [[], ['--unary']]) {
    const { code, stdout, stderr } = await runCli(t, [
      'bench', '--target', gateway.node.address, '--api-key', TEST_API_KEY, '--client-refs',
      '--concurrency', '2', '--batch-size', '10', '--rate', '200', '--duration', '1', ...mode,
    ]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^errors 0$/m);
    assert.match(stdout, /^rejected 0$/m);
    assert.match(stderr, /a client_ref each/);
    acceptedInAll += Number(/^accepted (\d+)$/m.exec(stdout)?.[1]);
  }
  assert.ok(acceptedInAll > 0);
  // The gateway recorded each accepted message under its own reference: none answered as a
  // duplicate of another (the second run has a prefix of its own), none without one.
  let seenAccepted = 0;
  const watched = gateway.client.watchReports('', true, (seen) => (seenAccepted = seen.filter(isAccepted).length) >= acceptedInAll);
  const reports = await Promise.race([
    watched,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${seenAccepted} of ${acceptedInAll} accepted messages were reported ACCEPTED in 10 s`)), 10_000).unref()),
  ]);
  const refs = reports.filter(isAccepted).map((r) => (r.event?.$case === 'status' ? r.event.value.clientRef : ''));
  assert.equal(refs.length, acceptedInAll);
  for (const ref of refs) assert.match(ref, /^bench-[0-9a-z]+-[01]-\d+$/);
  assert.equal(new Set(refs).size, refs.length, 'client_refs repeat');
});

function isAccepted(report: { event?: { $case: string; value: unknown } | undefined }): boolean {
  return report.event?.$case === 'status' && (report.event.value as { state: MessageState }).state === MessageState.MESSAGE_STATE_ACCEPTED;
}

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
