import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SendBatch } from '../../src/gen/switchboard/v1/gateway.js';
import { startCli } from '../helpers/cli-process.js';
import { GatewayTestClient, makeMessage } from '../helpers/gateway-calls.js';

const API_KEY = 'gc-pacing-api-key-0001';
const FRAME = 500;
/** Enough queued messages for a few major GCs past a 16 MB budget; well under maxQueuedMessages. */
const MAX_MESSAGES = 80_000;

// V8's own trace is the evidence: with --trace-gc-verbose it prints the factor it set each old-
// generation limit with. Left alone, V8 grows a small, fast-allocating heap 4x per major GC; paced
// for a budget smaller than the live data, every step after the first paced GC is the smallest (1.2).
test('serve paces V8 GC for store.heapBudgetMb: past the budget each major GC sets a 1.2x limit', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gc-pacing-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'gateway.yaml');
  // The supplier's port is closed: every message stays queued, so the heap grows with each frame.
  await writeFile(
    configPath,
    `store: { kind: memory, heapBudgetMb: 16 }
server: { listen: "127.0.0.1:0" }
tenants: [{ id: bank, apiKeys: [${API_KEY}], senderNumbers: ["15880000"] }]
providers: [{ id: closed, kind: grpc, address: "127.0.0.1:1", channels: [sms, lms] }]
routing: { defaultChannel: sms, channels: { sms: [closed], lms: [closed] } }
templates: [{ id: welcome, variables: [name], body: "{{name}}님 환영합니다" }]
`,
  );
  const gateway = startCli(t, ['serve', '--config', configPath], {}, ['--trace-gc-verbose']);
  const [, address] = await gateway.waitForLine(/listening on (127\.0\.0\.1:\d+)/);
  const client = new GatewayTestClient(address as string, API_KEY);
  t.after(() => client.close());

  const pacedLimits = (): number => (gateway.stdout().match(/\[HeapController\] Limit: .*\(1\.2\)$/gm) ?? []).length;
  let sent = 0;
  while (pacedLimits() < 2 && sent < MAX_MESSAGES) {
    const frames: SendBatch[] = Array.from({ length: 20 }, (_, i) => ({
      batchId: sent / FRAME + i,
      messages: Array.from({ length: FRAME }, () => makeMessage({ variables: { name: '김철수' } })),
    }));
    const answers = await client.sendStream(frames);
    assert.ok(answers.every((a) => a.acks.every((ack) => ack.accepted)), 'every message is queued');
    sent += frames.length * FRAME;
  }
  const limits = gateway.stdout().match(/\[HeapController\] Limit: .*$/gm) ?? [];
  assert.ok(pacedLimits() >= 2, `after ${sent} queued messages, V8 set these limits:\n${limits.join('\n')}`);
  assert.equal(await gateway.terminate(), 0);
});
