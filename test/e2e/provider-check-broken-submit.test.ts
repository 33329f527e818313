import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startRawProvider, startSdkProvider } from '../helpers/broken-providers.js';
import { assertFails, runProviderCheckCli } from '../helpers/provider-check-cli.js';

// Deliberately broken providers, Submit side: each must fail exactly the checks its fault breaks,
// with a line naming the check and saying what was wrong. (Report-side faults and the window:
// provider-check-broken-reports.test.ts.)

test('the raw test provider without faults passes every check (so the faults below are what fails)', async (t) => {
  const result = await runProviderCheckCli(t, await startRawProvider(t));
  assert.equal(result.code, 0, result.stdout);
  assert.ok([...result.lines.values()].every((l) => l.passed), result.stdout);
});

test('no GetCapabilities: the capabilities check fails with the status', async (t) => {
  const result = await runProviderCheckCli(t, await startRawProvider(t, { noCapabilities: true }));
  assertFails(result, ['capabilities'], /^GetCapabilities failed: 12 UNIMPLEMENTED: capabilities are not implemented$/);
});

test('every message answered twice: acceptance and window fail, naming the repeat', async (t) => {
  const result = await runProviderCheckCli(t, await startRawProvider(t, { answerTwice: true }));
  assertFails(result, ['acceptance', 'window'], /^20 messages were answered more than once \(pc-\w+-accept-1 2 times, .*\); each must be answered exactly once$/);
  assert.match(result.lines.get('window')?.detail ?? '', /messages answered more than once/);
});

test('empty provider refs: acceptance fails', async (t) => {
  const result = await runProviderCheckCli(t, await startSdkProvider(t, { emptyRefs: true }));
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.lines.get('acceptance')?.detail ?? '', /20 accepted answers have an empty provider_ref; every accepted message needs its own reference/);
  assert.equal(result.lines.get('acceptance')?.passed, false);
});

test('a repeated message_id handled again: idempotency fails with both refs, and reports see the second send', async (t) => {
  const result = await runProviderCheckCli(t, await startSdkProvider(t, { forgetMessageIds: true }));
  assertFails(result, ['idempotency', 'reports'], /^message_id repeated: resent on the same stream it was accepted \(ref "sdk-\d+"\), want accepted with the first ref "sdk-\d+"/);
  assert.match(result.lines.get('reports')?.detail ?? '', /has provider_ref "sdk-\d+", but it was accepted as "sdk-\d+"/);
});

test('an invalid recipient rejected as retryable: invalid-recipient fails', async (t) => {
  const result = await runProviderCheckCli(t, await startSdkProvider(t, { invalidRetryable: true }));
  assertFails(result, ['invalid-recipient'], /^rejected INVALID_NUMBER but retryable=true; an invalid number fails everywhere, so retryable must be false/);
});

test('an expired message accepted: expired fails', async (t) => {
  const result = await runProviderCheckCli(t, await startRawProvider(t, { ignoreExpiry: true }));
  assertFails(result, ['expired'], /^a message that expired 10 minutes ago was accepted \(ref "raw-\d+"\); want rejected with code EXPIRED$/);
});

test('a duplicate answered with the same ref but delivered again: idempotency fails on the second report', async (t) => {
  const result = await runProviderCheckCli(t, await startRawProvider(t, { redeliverDuplicates: true }));
  assertFails(result, ['idempotency'], /^pc-\w+-idem-\d+, pc-\w+-idem-\d+ got [23] delivery reports with different report_ids: a duplicate was delivered again$/);
});
