import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { OutboundMessage } from '../../src/channels/provider-connector.js';
import { SmppProviderConnector } from '../../src/channels/smpp-provider-connector.js';
import { parseConfig } from '../../src/config/parse-config.js';
import { rawSmppProvider, readSmscLedger, smscLedgerPath, startSmscSimProcess } from '../helpers/smsc-sim-process.js';
import { waitFor } from '../helpers/wait-for.js';

// The SMPP connector alone against a simulated SMSC process: answers and failures as the dispatcher sees them.

/** A connector on the given SMSC, built from a parsed config like the gateway's. */
function connectorFor(t: TestContext, address: string, settings: Record<string, unknown> = {}): SmppProviderConnector {
  const parsed = parseConfig({
    tenants: [{ id: 'bank', apiKeys: ['bank-api-key-0000001'], senderNumbers: ['15880000'] }],
    providers: [rawSmppProvider(address, settings)],
    routing: { channels: { sms: ['sms-0'] } },
  });
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.issues));
  const provider = parsed.config.providers[0];
  assert.ok(provider?.kind === 'smpp');
  const connector = new SmppProviderConnector(provider);
  t.after(() => connector.close());
  return connector;
}

function outbound(messageId: string, recipient: string, expiresAtMs = 0): OutboundMessage {
  return { messageId, channel: 'sms', recipient, sender: '15880000', subject: '', body: '안내', attributes: {}, expiresAtMs, billableUnits: 1, priority: 'normal', idempotencyKey: '' };
}

test('the connector: a throttled answer is retryable, an invalid address permanent, an expired message never sent', async (t) => {
  const ledger = await smscLedgerPath(t);
  const smsc = await startSmscSimProcess(t, ledger);
  const connector = connectorFor(t, smsc.address);
  const outcomes = await connector.submit(
    [outbound('m-throttled', '+821012340002'), outbound('m-invalid', '+821012340000'), outbound('m-expired', '+821012345678', Date.now() - 1), outbound('m-ok', '+821012345678')],
    new AbortController().signal,
  );
  assert.deepEqual(outcomes.slice(0, 3), [
    { kind: 'rejected', code: 'ESME_RTHROTTLED', reason: 'SMSC "sms-0" refused the message: throttled: the SMSC allows fewer messages per second', retryable: true },
    { kind: 'rejected', code: 'ESME_RINVDSTADR', reason: 'SMSC "sms-0" refused the message: invalid destination address', retryable: false },
    { kind: 'rejected', code: 'TTL_EXPIRED', reason: 'the message TTL passed while it waited for the SMSC', retryable: false },
  ]);
  assert.equal(outcomes[3]?.kind, 'accepted');
  const submits = (await readSmscLedger(ledger)).filter((e) => e.event === 'submit');
  assert.deepEqual(submits.map((e) => e.to), ['821012345678'], 'the expired message never reached the SMSC');
});

test('an SMSC that stops answering: the request times out, the message comes back retryable, the connector binds again', async (t) => {
  const ledger = await smscLedgerPath(t);
  const smsc = await startSmscSimProcess(t, ledger, '127.0.0.1:0', ['--answer-delay-ms', '60000']);
  const connector = connectorFor(t, smsc.address, { responseTimeout: '300ms' });
  const [outcome] = await connector.submit([outbound('m-stalled', '+821012345678')], new AbortController().signal);
  assert.equal(outcome?.kind, 'rejected');
  assert.equal(outcome?.kind === 'rejected' && outcome.code, 'CONNECTION_LOST');
  assert.equal(outcome?.kind === 'rejected' && outcome.retryable, true);
  assert.match(outcome?.kind === 'rejected' ? outcome.reason : '', /answered nothing for 300 ms/);
  await waitFor(async () => (await readSmscLedger(ledger)).filter((e) => e.event === 'bind').length >= 2, 5_000, 'a second bind');
});

test('a refused bind (wrong password) leaves messages retryable, never failed', async (t) => {
  const ledger = await smscLedgerPath(t);
  const smsc = await startSmscSimProcess(t, ledger, '127.0.0.1:0', ['--system-id', 'switchboard', '--password', 'right']);
  const connector = connectorFor(t, smsc.address, { password: 'wrong' });
  const [outcome] = await connector.submit([outbound('m-1', '+821012345678')], new AbortController().signal);
  assert.deepEqual(outcome, { kind: 'rejected', code: 'UNAVAILABLE', reason: 'SMSC "sms-0" is not bound', retryable: true });
  assert.deepEqual(await readSmscLedger(ledger), [], 'nothing bound, nothing submitted');
});

test('a sender the PDU cannot hold fails that message for good; the session goes on', async (t) => {
  const ledger = await smscLedgerPath(t);
  const smsc = await startSmscSimProcess(t, ledger);
  const connector = connectorFor(t, smsc.address);
  const outcomes = await connector.submit([{ ...outbound('m-bad', '+821012345678'), sender: 'A'.repeat(21) }, outbound('m-ok', '+821012345678')], new AbortController().signal);
  assert.deepEqual(outcomes[0], { kind: 'rejected', code: 'SMPP_INVALID_FIELD', reason: `cannot be sent over SMPP: "${'A'.repeat(21)}" is longer than 20 characters`, retryable: false });
  assert.equal(outcomes[1]?.kind, 'accepted');
});

test('providers[].tps on an SMSC paces submit_sm PDUs, a long message counting each segment', async (t) => {
  const ledger = await smscLedgerPath(t);
  const smsc = await startSmscSimProcess(t, ledger);
  const tps = 20;
  const connector = connectorFor(t, smsc.address, { tps });
  assert.equal(connector.capabilities().maxTps, tps);
  // One second's worth at start, less the urgent reserve (20%): 16 PDUs at once, then 20 a second.
  const long = (id: string): OutboundMessage => ({ ...outbound(id, '+821012345678'), body: '가'.repeat(150) });
  const startedMs = Date.now();
  const outcomes = await connector.submit(Array.from({ length: 12 }, (_, i) => long(`m-long-${i}`)), new AbortController().signal);
  const elapsedMs = Date.now() - startedMs;
  assert.deepEqual(new Set(outcomes.map((o) => o.kind)), new Set(['accepted']));
  const submits = (await readSmscLedger(ledger)).filter((e) => e.event === 'submit');
  assert.equal(submits.length, 36, '12 messages of 3 segments each');
  // 36 PDUs: 16 at once, 20 more at 20/s.
  assert.ok(elapsedMs >= 1000 * 0.9, `36 PDUs at ${tps}/s went in ${elapsedMs} ms; the limit allows no less than 1,000 ms`);
});
