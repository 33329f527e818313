import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { SmscLedgerEvent } from '../../src/channels/smpp-smsc-sim.js';
import { Channel, MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import { freePort } from '../helpers/free-port.js';
import { stateName } from '../helpers/gateway-calls.js';
import { rawSmppProvider, readSmscLedger, smscLedgerPath, startSmscSimProcess } from '../helpers/smsc-sim-process.js';
import { startGatewayForProviders, type BareTestGateway } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

// A provider of kind smpp is only config: the gateway, router and dispatcher are the same as for gRPC suppliers.

/** A gateway whose only SMS/LMS supplier is the SMSC at `address`. */
async function startSmppGateway(t: TestContext, address: string, settings: Record<string, unknown> = {}): Promise<BareTestGateway> {
  const gw = await startGatewayForProviders([address], (raw) => {
    raw['providers'] = [rawSmppProvider(address, settings)];
  });
  t.after(() => gw.stop());
  return gw;
}

async function waitForState(gw: BareTestGateway, messageId: string, state: MessageState, timeoutMs = 10_000): Promise<void> {
  await waitFor(async () => (await gw.client.getStatus(messageId)).state === state, timeoutMs, `message ${messageId} to be ${stateName(state)}`);
}

function messagesOf(events: readonly SmscLedgerEvent[]): Extract<SmscLedgerEvent, { event: 'message' }>[] {
  return events.filter((e): e is Extract<SmscLedgerEvent, { event: 'message' }> => e.event === 'message');
}

test('a message sent through the gateway reaches the SMSC and its delivery receipt makes it DELIVERED', async (t) => {
  const ledger = await smscLedgerPath(t);
  const smsc = await startSmscSimProcess(t, ledger, '127.0.0.1:0', ['--system-id', 'switchboard', '--password', 'secret']);
  const gw = await startSmppGateway(t, smsc.address);

  const { messageId } = await gw.client.send({ recipient: '010-1234-5678', content: { body: '인증번호 123456', subject: '' } });
  await waitForState(gw, messageId, MessageState.MESSAGE_STATE_DELIVERED);

  const events = await readSmscLedger(ledger);
  const [message] = messagesOf(events);
  assert.deepEqual(
    { to: message?.to, from: message?.from, text: message?.text, segments: message?.segments, dataCoding: message?.dataCoding },
    { to: '821012345678', from: '15880000', text: '인증번호 123456', segments: 1, dataCoding: 8 },
  );
  // The SMSC's message id is the provider reference, and its receipt was answered only once stored.
  const status = await gw.client.getStatus(messageId);
  const submitted = status.history.find((e) => e.state === MessageState.MESSAGE_STATE_SUBMITTED);
  assert.equal(submitted?.providerRef, message?.ids[0]);
  assert.equal(submitted?.providerId, 'sms-0');
  await waitFor(async () => (await readSmscLedger(ledger)).some((e) => e.event === 'receipt_acked' && e.id === message?.ids[0]), 5_000, 'deliver_sm_resp for the receipt');
});

for (const [dataCoding, wire] of [
  ['ucs2', 8],
  ['ksc5601', 0x0e],
] as const) {
  test(`a long Korean LMS text goes as UDH segments in ${dataCoding} and the SMSC reassembles it exactly`, async (t) => {
    const ledger = await smscLedgerPath(t);
    const smsc = await startSmscSimProcess(t, ledger);
    const gw = await startSmppGateway(t, smsc.address, { dataCoding });
    // 1,000 EUC-KR bytes: past SMS (90), so the router sends it as LMS.
    const body = `[스위치은행] 고객님의 대출 만기 안내입니다. ${'다음 달 15일에 만기가 도래하오니 연장 여부를 확인해 주십시오. '.repeat(12)}`.slice(0, 480);
    const { messageId } = await gw.client.send({ recipient: '010-2222-3333', content: { body, subject: '만기 안내' } });
    await waitForState(gw, messageId, MessageState.MESSAGE_STATE_DELIVERED);

    const status = await gw.client.getStatus(messageId);
    assert.equal(status.history.find((e) => e.state === MessageState.MESSAGE_STATE_ROUTED)?.channel, Channel.CHANNEL_LMS);
    const [message] = messagesOf(await readSmscLedger(ledger));
    assert.equal(message?.text, `만기 안내\n${body}`);
    assert.equal(message?.dataCoding, wire);
    // Hangul is 2 bytes in either coding; a segment carries at most 134 bytes after its UDH.
    const bytes = dataCoding === 'ucs2' ? message!.text.length * 2 : Buffer.byteLength(message!.text.replace(/[^\x00-\x7f]/g, 'xx'));
    assert.ok(message!.segments >= Math.ceil(bytes / 134) && message!.segments <= Math.ceil(bytes / 132), `${message!.segments} segments for ${bytes} bytes`);
    const parts = (await readSmscLedger(ledger)).filter((e) => e.event === 'submit').map((e) => e.part);
    assert.deepEqual(parts, Array.from({ length: message!.segments }, (_, i) => `${i + 1}/${message!.segments}`));
  });
}

test('no more submit_sm are unanswered than the window allows, and all are delivered', async (t) => {
  const ledger = await smscLedgerPath(t);
  const smsc = await startSmscSimProcess(t, ledger, '127.0.0.1:0', ['--answer-delay-ms', '100']);
  const gw = await startSmppGateway(t, smsc.address, { window: 3 });
  const accepted = await Promise.all(Array.from({ length: 12 }, (_, i) => gw.client.send({ recipient: `010-4444-${1000 + i}`, content: { body: `창 ${i}`, subject: '' } })));
  for (const { messageId } of accepted) await waitForState(gw, messageId, MessageState.MESSAGE_STATE_DELIVERED);
  const inFlight = (await readSmscLedger(ledger)).flatMap((e) => (e.event === 'submit' ? [e.inFlight] : []));
  assert.equal(inFlight.length, 12);
  assert.equal(Math.max(...inFlight), 3, 'the window was filled and never exceeded');
});

test('receipts that come before their submit_sm_resp are held until it arrives, not quarantined', async (t) => {
  const ledger = await smscLedgerPath(t);
  const smsc = await startSmscSimProcess(t, ledger, '127.0.0.1:0', ['--answer-delay-ms', '150', '--early-receipts']);
  const gw = await startSmppGateway(t, smsc.address, { window: 3 });
  const accepted = await Promise.all(Array.from({ length: 6 }, (_, i) => gw.client.send({ recipient: `010-6666-${1000 + i}`, content: { body: `이른 수신확인 ${i}`, subject: '' } })));
  for (const { messageId } of accepted) await waitForState(gw, messageId, MessageState.MESSAGE_STATE_DELIVERED);
  assert.equal(gw.node.ingestStats.unknownDeliveries, 0);
});

test('through the gateway, an invalid address fails for good with the SMSC status as code', async (t) => {
  const ledger = await smscLedgerPath(t);
  const smsc = await startSmscSimProcess(t, ledger);
  const gw = await startSmppGateway(t, smsc.address);
  const { messageId } = await gw.client.send({ recipient: '010-1234-0000', content: { body: '안내', subject: '' } });
  await waitForState(gw, messageId, MessageState.MESSAGE_STATE_FAILED);
  const failed = (await gw.client.getStatus(messageId)).history.at(-1);
  assert.equal(failed?.code, 'ESME_RINVDSTADR');
  // Permanent: tried once, not again.
  assert.equal((await readSmscLedger(ledger)).filter((e) => e.event === 'rejected').length, 1);
});

test('the SMSC killed and restarted: the connector binds again by itself and every accepted message is delivered', async (t) => {
  const ledger = await smscLedgerPath(t);
  const listen = `127.0.0.1:${await freePort()}`;
  // Receipts come late, so some are still owed when the SMSC dies; the restarted one sends them from its ledger.
  const first = await startSmscSimProcess(t, ledger, listen, ['--receipt-delay-ms', '400']);
  const gw = await startSmppGateway(t, first.address);

  const bodies = Array.from({ length: 24 }, (_, i) => `알림 ${i}`);
  const sends = bodies.map((body, i) => gw.client.send({ recipient: `010-5555-${String(1000 + i)}`, content: { body, subject: '' } }));
  await waitFor(async () => messagesOf(await readSmscLedger(ledger)).length >= 6, 10_000, 'some messages at the first SMSC');
  first.proc.child.kill('SIGKILL');
  await first.proc.exited;
  const accepted = await Promise.all(sends); // every send was acknowledged by the gateway
  await startSmscSimProcess(t, ledger, listen, ['--receipt-delay-ms', '50']);

  for (const { messageId } of accepted) await waitForState(gw, messageId, MessageState.MESSAGE_STATE_DELIVERED, 20_000);
  const events = await readSmscLedger(ledger);
  const texts = new Set(messagesOf(events).map((m) => m.text));
  assert.deepEqual(bodies.filter((b) => !texts.has(b)), [], 'every message reached an SMSC');
  const secondBind = events.findIndex((e, i) => e.event === 'bind' && events.slice(0, i).some((b) => b.event === 'bind'));
  assert.ok(secondBind > 0, 'bound to both SMSC processes');
  // Receipts owed when the first SMSC died were sent by the second from its ledger, and reached their messages.
  const ackedBefore = new Set(events.slice(0, secondBind).flatMap((e) => (e.event === 'receipt_acked' ? [e.id] : [])));
  const owed = events.slice(0, secondBind).filter((e) => e.event === 'submit' && !ackedBefore.has(e.id));
  assert.ok(owed.length > 0, 'some receipts were still owed at the kill');
});

test('an idle connection sends enquire_link at the configured interval', async (t) => {
  const ledger = await smscLedgerPath(t);
  const smsc = await startSmscSimProcess(t, ledger);
  await startSmppGateway(t, smsc.address, { enquireLinkInterval: '150ms' });
  await waitFor(async () => (await readSmscLedger(ledger)).filter((e) => e.event === 'enquire_link').length >= 3, 10_000, 'three enquire_link while idle');
  const events = await readSmscLedger(ledger);
  assert.equal(events.filter((e) => e.event === 'bind').length, 1, 'the same session stayed up');
});

test('a mobile-originated deliver_sm becomes an inbound message for the tenant whose number was texted', async (t) => {
  const ledger = await smscLedgerPath(t);
  const smsc = await startSmscSimProcess(t, ledger);
  const gw = await startSmppGateway(t, smsc.address);
  const watching = gw.client.watchReports('', true, (reports) => reports.some((r) => r.event?.$case === 'inbound'));
  await gw.client.send({ recipient: '010-7777-8888', content: { body: 'ECHO 네 확인했습니다', subject: '' } });
  const reports = await watching;
  const inbound = reports.find((r) => r.event?.$case === 'inbound')?.event;
  assert.equal(inbound?.$case, 'inbound');
  if (inbound?.$case !== 'inbound') return;
  assert.deepEqual({ from: inbound.value.from, to: inbound.value.to, body: inbound.value.body, providerId: inbound.value.providerId }, { from: '+821077778888', to: '15880000', body: 'RE: 네 확인했습니다', providerId: 'sms-0' });
});
