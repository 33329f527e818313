// RELIABILITY rows B1-B3, B5-B7: supplier faults under load, with real `switchboard sim-provider`
// processes (and the TCP fault proxy in front of provider A where a row needs it), an in-process
// gateway, and a ledger check: lost = accepted - taken by a provider; every duplicate at the
// providers carries the same message_id; nothing arrives that was not sent.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { Priority, type SendBatch } from '../../src/gen/switchboard/v1/gateway.js';
import { startCli } from '../helpers/cli-process.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { freePort } from '../helpers/free-port.js';
import { GatewayTestClient, makeMessage, stateName } from '../helpers/gateway-calls.js';
import { readLedger, type LedgerRow } from '../helpers/ledger.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

interface SimProcess {
  readonly address: string;
  readonly ledgerPath: string;
  readonly pid: number;
  kill(signal: NodeJS.Signals): void;
}

const dir = mkdtempSync(join(tmpdir(), 'sb-provider-faults-'));

/** `switchboard sim-provider` as a child process, with a ledger of every message it receives. */
async function startSimProcess(t: TestContext, id: string, extra: string[] = []): Promise<SimProcess> {
  const ledgerPath = join(dir, `${id}.tsv`);
  const proc = startCli(t, ['sim-provider', '--id', id, '--channel', 'sms,lms', '--ledger', ledgerPath, ...extra]);
  const [, address] = (await proc.waitForLine(/listening on (\S+)/)) as unknown as [string, string];
  return { address, ledgerPath, pid: proc.child.pid as number, kill: (signal) => proc.child.kill(signal) };
}

/** A gateway on the memory store with SMS providers at the addresses, first choice first, and fast fault detection. */
async function startGateway(t: TestContext, addresses: string[], provider: Record<string, unknown> = {}) {
  const raw = rawTestConfig({ sms: addresses });
  for (const p of raw['providers'] as Record<string, unknown>[]) {
    Object.assign(p, { keepaliveTime: '1s', keepaliveTimeout: '1s', answerTimeout: '3s', window: 50, connections: 2, ...provider });
  }
  const node = await startGatewayNode(compileTestConfig(raw));
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  t.after(async () => {
    client.close();
    await node.stop();
  });
  return { node, client };
}

/** Sends `count` messages in frames of 20, one frame every `gapMs`, and returns the accepted message ids. */
async function sendPaced(client: GatewayTestClient, prefix: string, count: number, gapMs: number, fields: Parameters<typeof makeMessage>[0] = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 20) {
    const frame: SendBatch = { batchId: i / 20 + 1, messages: Array.from({ length: Math.min(20, count - i) }, (_, j) => makeMessage({ clientRef: `${prefix}-${i + j}`, ...fields })) };
    const [answer] = await client.sendStream([frame]);
    for (const ack of answer?.acks ?? []) if (ack.accepted) ids.push(ack.messageId);
    if (gapMs > 0) await sleep(gapMs);
  }
  assert.equal(ids.length, count, 'the gateway accepted every message');
  return ids;
}

/** Polls until every message is in one of `states`; returns each message's state name and history. */
async function waitForStates(client: GatewayTestClient, ids: readonly string[], states: readonly string[], timeoutMs: number) {
  const result = new Map<string, Awaited<ReturnType<GatewayTestClient['getStatus']>>>();
  let open = [...ids];
  await waitFor(
    async () => {
      const statuses = await Promise.all(open.map((id) => client.getStatus(id)));
      open = open.filter((id, i) => {
        const status = statuses[i]!;
        if (!states.includes(stateName(status.state))) return true;
        result.set(id, status);
        return false;
      });
      return open.length === 0;
    },
    timeoutMs,
    `every message to reach ${states.join('|')}`,
  );
  return result;
}

/** The ledger check over both providers' logs. */
async function check(accepted: readonly string[], ledgers: readonly string[]): Promise<{ rows: LedgerRow[]; duplicates: string[]; phantoms: string[] }> {
  const rows = (await Promise.all(ledgers.map((path) => readLedger(path)))).flat();
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.messageId, (counts.get(row.messageId) ?? 0) + 1);
  const invoked = new Set(accepted);
  return {
    rows,
    duplicates: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
    phantoms: [...counts.keys()].filter((id) => !invoked.has(id)),
  };
}

const TAKEN = ['DELIVERED', 'SUBMITTED'];

test('B1 provider A stalls (TCP open, nothing forwarded): its in-flight messages go to B, lost = 0', async (t) => {
  const a = await startSimProcess(t, 'b1-a');
  const b = await startSimProcess(t, 'b1-b');
  const proxy = await startFaultProxy(a.address);
  t.after(() => proxy.close());
  const { client } = await startGateway(t, [proxy.address, b.address]);

  const sending = sendPaced(client, 'b1', 400, 20);
  await sleep(300);
  proxy.stall();
  const stalledAt = Date.now();
  const ids = await sending;
  const states = await waitForStates(client, ids, TAKEN, 20_000);
  assert.ok(Date.now() - stalledAt < 20_000, 'everything placed within the OTP SLO of 20 s');
  const { duplicates, phantoms } = await check(ids, [a.ledgerPath, b.ledgerPath]);
  assert.deepEqual(phantoms, []);
  const atB = [...states.values()].filter((s) => s.history.some((e) => stateName(e.state) === 'SUBMITTED' && e.providerId === 'sms-1')).length;
  assert.ok(atB > 0, 'traffic moved to B');
  // Only what A received just before the stall, whose answers the stall held back, may be at both.
  assert.ok(duplicates.length <= 2 * 50, `${duplicates.length} duplicates, within the in-flight window`);
});

test('B2 provider A reset (RST) mid-stream: reconnect, unanswered messages resent with the same message_id, lost = 0', async (t) => {
  const a = await startSimProcess(t, 'b2-a', ['--latency-ms', '50']);
  const b = await startSimProcess(t, 'b2-b');
  const proxy = await startFaultProxy(a.address);
  t.after(() => proxy.close());
  const { client } = await startGateway(t, [proxy.address, b.address]);

  const sending = sendPaced(client, 'b2', 400, 20);
  await sleep(250);
  const acceptedBefore = proxy.accepted;
  proxy.reset();
  const ids = await sending;
  await waitForStates(client, ids, TAKEN, 20_000);
  await waitFor(() => proxy.accepted > acceptedBefore, 5_000, 'the connector to reconnect to A');
  const { rows, duplicates, phantoms } = await check(ids, [a.ledgerPath, b.ledgerPath]);
  assert.deepEqual(phantoms, []);
  // A duplicate is a message A received before the reset but whose answer was lost: at most the window, same id.
  assert.ok(duplicates.length <= 2 * 50, `${duplicates.length} duplicates within the in-flight window`);
  assert.ok(new Set(rows.map((r) => r.messageId)).size === ids.length, 'every accepted message reached a provider');
});

test('B3 slow provider (latency + 16 KB/s): memory bounded, nothing dropped, no errors cascade', async (t) => {
  const a = await startSimProcess(t, 'b3-a');
  const proxy = await startFaultProxy(a.address);
  t.after(() => proxy.close());
  // Keepalive as RELIABILITY configures it (10 s + 5 s): a ping waits behind data on a slow link.
  const { client } = await startGateway(t, [proxy.address], { window: 20, connections: 1, answerTimeout: '10s', keepaliveTime: '10s', keepaliveTimeout: '5s' });
  proxy.setLatency(200);
  proxy.setBandwidth(16 * 1024);

  const heapBefore = process.memoryUsage().heapUsed;
  const ids = await sendPaced(client, 'b3', 300, 0);
  const states = await waitForStates(client, ids, TAKEN, 45_000);
  const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  assert.ok(heapGrowthMb < 100, `heap grew ${heapGrowthMb.toFixed(1)} MB`);
  const { rows, duplicates, phantoms } = await check(ids, [a.ledgerPath]);
  assert.deepEqual(phantoms, []);
  assert.deepEqual(duplicates, [], 'no deadline fired, so nothing was sent twice');
  assert.equal(rows.length, ids.length);
  for (const status of states.values()) assert.equal(status.history.filter((e) => stateName(e.state) === 'ROUTED').length, 1, 'each message routed once: no retries');
});

test('B5 provider A drains its connections (graceful GOAWAY): 0 failed, 0 duplicates', async (t) => {
  const a = await startSimProcess(t, 'b5-a', ['--max-connection-age-ms', '500', '--latency-ms', '20']);
  const b = await startSimProcess(t, 'b5-b');
  const { client } = await startGateway(t, [a.address, b.address]);

  const ids = await sendPaced(client, 'b5', 400, 30);
  const states = await waitForStates(client, ids, TAKEN, 20_000);
  const { rows, duplicates, phantoms } = await check(ids, [a.ledgerPath, b.ledgerPath]);
  assert.deepEqual(phantoms, []);
  assert.deepEqual(duplicates, []);
  assert.equal(rows.length, ids.length);
  const movedToB = [...states.values()].filter((s) => s.history.some((e) => e.providerId === 'sms-1')).length;
  assert.equal(movedToB, 0, 'no message failed at A over its connection rotations');
});

test('B6 provider A SIGKILLed with B healthy: failover within 10 s, lost = 0, duplicates share a message_id', async (t) => {
  const a = await startSimProcess(t, 'b6-a', ['--latency-ms', '30']);
  const b = await startSimProcess(t, 'b6-b');
  const { client } = await startGateway(t, [a.address, b.address]);

  const sending = sendPaced(client, 'b6', 400, 20);
  await sleep(500);
  a.kill('SIGKILL');
  const killedAt = Date.now();
  const ids = await sending;
  await waitForStates(client, ids, TAKEN, 10_000);
  assert.ok(Date.now() - killedAt <= 10_000 + 1_000, 'failover within 10 s of the kill');
  const { phantoms, duplicates } = await check(ids, [a.ledgerPath, b.ledgerPath]);
  assert.deepEqual(phantoms, []);
  // A's ledger may miss its last lines (killed before flushing); the gateway's states count what A took.
  assert.ok(duplicates.length <= 2 * 50, `${duplicates.length} duplicates, within the in-flight window`);
});

test('B7 both providers down for a while: messages wait, expired OTPs are EXPIRED not sent late, the rest go after recovery', async (t) => {
  const [portA, portB] = [await freePort(), await freePort()];
  const a1 = await startSimProcess(t, 'b7-a', ['--port', String(portA)]);
  const b1 = await startSimProcess(t, 'b7-b', ['--port', String(portB)]);
  const { client } = await startGateway(t, [a1.address, b1.address]);
  a1.kill('SIGKILL');
  b1.kill('SIGKILL');
  await sleep(200);

  const otps = await sendPaced(client, 'b7-otp', 40, 0, { templateId: 'otp', variables: { code: '123456' }, priority: Priority.PRIORITY_URGENT, ttlMs: 1_500 });
  const alerts = await sendPaced(client, 'b7-alert', 60, 0, { priority: Priority.PRIORITY_URGENT });
  await sleep(3_000); // down longer than the OTPs live
  const a2 = await startSimProcess(t, 'b7-a2', ['--port', String(portA)]);
  const b2 = await startSimProcess(t, 'b7-b2', ['--port', String(portB)]);

  await waitForStates(client, alerts, TAKEN, 20_000);
  const otpStates = await waitForStates(client, otps, ['EXPIRED'], 10_000);
  assert.equal(otpStates.size, otps.length);
  const { rows, phantoms } = await check([...otps, ...alerts], [a2.ledgerPath, b2.ledgerPath]);
  assert.deepEqual(phantoms, []);
  const otpIds = new Set(otps);
  assert.deepEqual(rows.filter((r) => otpIds.has(r.messageId)), [], '0 late OTPs');
});
