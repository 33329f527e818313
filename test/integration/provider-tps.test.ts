// A provider's TPS limit holds across gateway nodes that share a Redis store, and urgent messages
// keep their reserved share while bulk saturates the provider.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startSimProvider } from '../../src/channels/sim-provider.js';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { Priority, type SendBatch } from '../../src/gen/switchboard/v1/gateway.js';
import { GatewayTestClient, makeMessage } from '../helpers/gateway-calls.js';
import { readLedger } from '../helpers/ledger.js';
import { startRedis } from '../helpers/redis.js';
import { compileTestConfig, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

const TPS = 100;

/** Frames of `count` template messages with the given priority. */
function frames(prefix: string, count: number, priority: Priority, perFrame = 50): SendBatch[] {
  const out: SendBatch[] = [];
  for (let i = 0; i < count; i += perFrame) {
    const messages = Array.from({ length: Math.min(perFrame, count - i) }, (_, j) => makeMessage({ clientRef: `${prefix}-${i + j}`, priority }));
    out.push({ batchId: i / perFrame + 1, messages });
  }
  return out;
}

test('two gateway nodes on one Redis hold a provider to its tps together (within 10%)', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.destroy());
  const ledgerPath = join(mkdtempSync(join(tmpdir(), 'sb-tps-')), 'ledger.tsv');
  const sim = await startSimProvider({ id: 'tps', channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS], ledgerPath });
  t.after(() => sim.close());

  const raw = rawTestConfig({ sms: [sim.address] });
  raw['store'] = { kind: 'redis', url: redis.url, keyPrefix: `tps${process.pid}` };
  (raw['providers'] as Record<string, unknown>[])[0]!['tps'] = TPS;
  const config = compileTestConfig(raw);
  const nodes = [await startGatewayNode(config), await startGatewayNode(config)];
  t.after(() => Promise.all(nodes.map((n) => n.stop())));
  const clients = nodes.map((n) => new GatewayTestClient(n.address, TEST_API_KEY));
  t.after(() => clients.forEach((c) => c.close()));

  // 6.5 s worth of traffic, half through each node: a backlog on both the whole time.
  const total = Math.round(TPS * 6.5);
  await Promise.all(clients.map((c, i) => c.sendStream(frames(`n${i}`, total / 2, Priority.PRIORITY_NORMAL))));
  await waitFor(async () => (await readLedger(ledgerPath)).length >= total, 15_000);

  const rows = await readLedger(ledgerPath);
  const start = Math.min(...rows.map((r) => r.timeMs));
  // After the first second (the bucket starts full: one second of burst), the steady rate.
  const windowMs = 4000;
  const inWindow = rows.filter((r) => r.timeMs >= start + 1500 && r.timeMs < start + 1500 + windowMs).length;
  const rate = (inWindow * 1000) / windowMs;
  assert.ok(Math.abs(rate - TPS) <= TPS * 0.1, `measured ${rate}/s across two nodes, limit ${TPS}/s`);
  assert.equal(new Set(rows.map((r) => r.messageId)).size, total, 'every message once');
});

test('an urgent message goes out promptly while bulk saturates the provider tps', async (t) => {
  const ledgerPath = join(mkdtempSync(join(tmpdir(), 'sb-lane-')), 'ledger.tsv');
  const sim = await startSimProvider({ id: 'lane', channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS], ledgerPath });
  t.after(() => sim.close());
  const raw = rawTestConfig({ sms: [sim.address] });
  Object.assign((raw['providers'] as Record<string, unknown>[])[0]!, { tps: 50, urgentReserve: 0.2 });
  const node = await startGatewayNode(compileTestConfig(raw));
  t.after(() => node.stop());
  const client = new GatewayTestClient(node.address, TEST_API_KEY);
  t.after(() => client.close());

  // 400 bulk messages: 8 s of the provider's tps, queued and waiting for tokens.
  await client.sendStream(frames('bulk', 400, Priority.PRIORITY_BULK));
  await waitFor(async () => (await readLedger(ledgerPath)).length >= 60);
  const sentAt = Date.now();
  const { messageId } = await client.send({ clientRef: 'otp-1', priority: Priority.PRIORITY_URGENT, templateId: 'otp', variables: { code: '123456' } });
  await waitFor(async () => (await readLedger(ledgerPath)).some((r) => r.messageId === messageId), 5_000);
  const rows = await readLedger(ledgerPath);
  const urgentRow = rows.find((r) => r.messageId === messageId);
  const bulkAfter = rows.filter((r) => r.timeMs > (urgentRow?.timeMs ?? 0)).length;
  assert.ok(bulkAfter > 0 || rows.length < 400, 'bulk was still going when the urgent message went');
  assert.ok((urgentRow?.timeMs ?? Infinity) - sentAt < 1_000, `urgent went out ${(urgentRow?.timeMs ?? Infinity) - sentAt} ms after it was sent, ahead of ${400 - rows.filter((r) => r.timeMs <= (urgentRow?.timeMs ?? 0)).length + 1} bulk messages still queued`);
});
