import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startRawProvider, startSdkProvider } from '../helpers/broken-providers.js';
import { assertFails, runProviderCheckCli } from '../helpers/provider-check-cli.js';

// Deliberately broken providers, Reports side and the window: each must fail the check its fault
// breaks, with a line naming the check and saying what was wrong.

test('every other report dropped: reports fails, naming the messages without one', async (t) => {
  const result = await runProviderCheckCli(t, await startSdkProvider(t, { dropEveryOtherReport: true }));
  assertFails(result, ['reports'], /^\d+ of \d+ accepted messages got no delivery report \(none came for 1000 ms\): pc-\w+-accept-2, /);
});

test('unacked reports not sent again after a reconnect: resend fails', async (t) => {
  const result = await runProviderCheckCli(t, await startRawProvider(t, { forgetUnacked: true }));
  assertFails(result, ['resend'], /^after a reconnect without acks, 3 of 3 reports were not sent again within 1000 ms \(raw-report-\d+, .*\); a provider must keep a report until it is acked$/);
});

test('a provider that stops answering with its window full: window fails, saying how many were in flight', async (t) => {
  const result = await runProviderCheckCli(t, await startSdkProvider(t, { stallAfter: 60, maxInFlight: 50 }));
  assert.equal(result.code, 1, result.stdout);
  assert.equal(result.lines.get('window')?.passed, false, result.stdout);
  assert.match(result.lines.get('window')?.detail ?? '', /^after \d+ of \d+ messages answered \(window 50, \d+ in flight\) no answer came for 1000 ms; a provider must keep answering while its window is full$/);
  assert.equal(result.lines.get('acceptance')?.passed, true, result.stdout);
});

test('reports naming the wrong message_id: reports fails, naming a report and the id', async (t) => {
  const result = await runProviderCheckCli(t, await startRawProvider(t, { misnameReports: true }));
  assertFails(result, ['reports', 'resend'], /; \d+ reports are wrong: report raw-report-1 names message_id "pc-\w+-accept-1-x", never submitted, /);
});
