// RELIABILITY C8 (tenant flood): a tenant held to tenants[].acceptRate. Its Sends over the rate
// fail with RESOURCE_EXHAUSTED and a retry hint, its streams are paced (nothing refused), its urgent
// messages keep a reserve, other tenants are not held, and with Redis the rate holds across nodes.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { startSimProvider } from '../../src/channels/sim-provider.js';
import { startGatewayNode } from '../../src/gateway/gateway-node.js';
import { Channel } from '../../src/gen/switchboard/provider/v1/provider.js';
import { Priority, type SendBatch } from '../../src/gen/switchboard/v1/gateway.js';
import { daytimeKstClock } from '../helpers/fake-clock.js';
import { GatewayTestClient, makeMessage } from '../helpers/gateway-calls.js';
import { startRedis } from '../helpers/redis.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { compileTestConfig, OTHER_TENANT_API_KEY, rawTestConfig, TEST_API_KEY } from '../helpers/test-config.js';

/** Frames of `count` template messages. */
function frames(prefix: string, count: number, perFrame = 50): SendBatch[] {
  const out: SendBatch[] = [];
  for (let i = 0; i < count; i += perFrame) {
    const messages = Array.from({ length: Math.min(perFrame, count - i) }, (_, j) => makeMessage({ clientRef: `${prefix}-${i + j}` }));
    out.push({ batchId: i / perFrame + 1, messages });
  }
  return out;
}

/** Gives tenant-a (TEST_API_KEY) an accept rate; tenant-b has none. */
function withAcceptRate(raw: Record<string, unknown>, perSecond: number): void {
  (raw['tenants'] as Record<string, unknown>[])[0]!['acceptRate'] = { perSecond };
}

/** The wait in a google.rpc.Status holding one google.rpc.RetryInfo, decoded field by field. */
function retryDelayMsOf(statusDetails: Buffer): { code: number; typeUrl: string; delayMs: number } {
  const status = new BinaryReader(statusDetails);
  let code = -1;
  let typeUrl = '';
  let delayMs = -1;
  while (status.pos < status.len) {
    const [field] = status.tag();
    if (field === 1) code = status.int32();
    else if (field === 2) status.string();
    else if (field === 3) {
      const any = new BinaryReader(status.bytes());
      while (any.pos < any.len) {
        const [anyField] = any.tag();
        if (anyField === 1) typeUrl = any.string();
        else {
          const retryInfo = new BinaryReader(any.bytes());
          retryInfo.tag();
          const duration = new BinaryReader(retryInfo.bytes());
          let seconds = 0;
          let nanos = 0;
          while (duration.pos < duration.len) {
            const [durationField] = duration.tag();
            if (durationField === 1) seconds = Number(duration.int64());
            else nanos = duration.int32();
          }
          delayMs = seconds * 1000 + nanos / 1e6;
        }
      }
    }
  }
  return { code, typeUrl, delayMs };
}

/** A memory-store gateway (startTestGateway) with tenant-a held to `perSecond`; clients of tenant-a and of tenant-b. */
async function gatewayWithAcceptRate(t: TestContext, perSecond: number): Promise<{ client: GatewayTestClient; other: GatewayTestClient }> {
  const gw = await startTestGateway({}, (raw) => withAcceptRate(raw, perSecond));
  const other = new GatewayTestClient(gw.node.address, OTHER_TENANT_API_KEY);
  t.after(async () => {
    other.close();
    await gw.stop();
  });
  return { client: gw.client, other };
}

test('a Send over the tenant accept rate fails with RESOURCE_EXHAUSTED and a retry hint; urgent Sends keep their reserve', async (t) => {
  const { client, other } = await gatewayWithAcceptRate(t, 20);

  // The bucket starts with one second (20); normal messages stop at the 10% urgent reserve (18).
  let accepted = 0;
  let refusal: ServiceError | null = null;
  const startedMs = Date.now();
  for (let i = 0; i < 30 && refusal === null; i++) {
    try {
      await client.send({ clientRef: `n-${i}` });
      accepted++;
    } catch (error) {
      refusal = error as ServiceError;
    }
  }
  assert.ok(refusal !== null, 'the 30 Sends at once must go over 20/s');
  // The bucket refills at 20/s while the Sends go one by one: on a loaded machine they take a while.
  const refilled = Math.ceil(((Date.now() - startedMs) / 1000) * 20);
  assert.ok(accepted >= 18 && accepted <= 18 + refilled, `accepted ${accepted} before the first refusal (${refilled} refilled meanwhile)`);
  assert.equal(refusal.code, Status.RESOURCE_EXHAUSTED);
  assert.match(refusal.details, /tenant "tenant-a" is over its accept rate of 20 messages\/s; retry in \d+ ms with the same client_ref/);
  const retryAfterMs = Number(refusal.metadata.get('retry-after-ms')[0]);
  assert.ok(retryAfterMs >= 1 && retryAfterMs <= 1000, `retry-after-ms ${retryAfterMs}`);
  const details = refusal.metadata.get('grpc-status-details-bin')[0];
  assert.ok(Buffer.isBuffer(details), 'grpc-status-details-bin is set');
  assert.deepEqual(retryDelayMsOf(details), { code: Status.RESOURCE_EXHAUSTED, typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', delayMs: retryAfterMs });

  // The reserve: an urgent Send goes while normal ones are refused.
  await client.send({ clientRef: 'urgent-1', priority: Priority.PRIORITY_URGENT });
  // Another tenant is not held by tenant-a's rate.
  for (let i = 0; i < 30; i++) await other.send({ clientRef: `b-${i}` });

  // After the hinted wait, the refused message goes with the same client_ref.
  await new Promise((resolve) => setTimeout(resolve, retryAfterMs + 20));
  const retried = await client.send({ clientRef: `n-${accepted}` });
  assert.equal(retried.duplicate, false);
  assert.notEqual(retried.messageId, '');
});

test('a SendStream over the tenant accept rate is paced, not refused, and other tenants go on meanwhile', async (t) => {
  const perSecond = 200;
  const { client, other } = await gatewayWithAcceptRate(t, perSecond);

  const total = 700;
  const startedMs = Date.now();
  const flood = client.sendStream(frames('flood', total));
  // While tenant-a's stream is held, tenant-b's Sends are answered as usual.
  let slowestOtherMs = 0;
  for (let i = 0; i < 20; i++) {
    const sentMs = Date.now();
    await other.send({ clientRef: `b-${i}` });
    slowestOtherMs = Math.max(slowestOtherMs, Date.now() - sentMs);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const answers = await flood;
  const elapsedMs = Date.now() - startedMs;

  const acks = answers.flatMap((a) => a.acks);
  assert.equal(acks.length, total);
  assert.equal(acks.filter((a) => a.accepted).length, total, 'every message of the paced stream accepted');
  // One second's worth (less the urgent reserve) at once, then 200/s: at least 2.6 s for 700.
  const leastMs = ((total - perSecond * 0.9) / perSecond) * 1000;
  assert.ok(elapsedMs >= leastMs * 0.95, `700 messages took ${elapsedMs} ms; the rate allows no less than ${leastMs} ms`);
  assert.ok(slowestOtherMs < 1000, `tenant-b's slowest Send took ${slowestOtherMs} ms while tenant-a was held`);
});

test('two nodes on one Redis hold a tenant to its accept rate together', async (t) => {
  const redis = await startRedis();
  const sms = await startSimProvider({ id: 'sim-sms', channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS] });
  const raw = rawTestConfig({ sms: [sms.address] });
  raw['store'] = { kind: 'redis', url: redis.url, keyPrefix: `acc${process.pid}` };
  const perSecond = 200;
  withAcceptRate(raw, perSecond);
  const config = compileTestConfig(raw);
  const nodes = [await startGatewayNode(config, { now: daytimeKstClock() }), await startGatewayNode(config, { now: daytimeKstClock() })];
  const clients = nodes.map((n) => new GatewayTestClient(n.address, TEST_API_KEY));
  t.after(async () => {
    clients.forEach((c) => c.close());
    await Promise.all(nodes.map((n) => n.stop()));
    await sms.close();
    await redis.destroy();
  });

  // 400 through each node: each node alone would allow them in 1.1 s; together they need 3.1 s.
  const perNode = 400;
  const startedMs = Date.now();
  const answers = await Promise.all(clients.map((c, i) => c.sendStream(frames(`n${i}`, perNode))));
  const elapsedMs = Date.now() - startedMs;
  const acks = answers.flat().flatMap((a) => a.acks);
  assert.equal(acks.filter((a) => a.accepted).length, perNode * 2, 'every message accepted');
  const leastMs = ((perNode * 2 - perSecond * 0.9) / perSecond) * 1000;
  assert.ok(elapsedMs >= leastMs * 0.95, `${perNode * 2} messages over two nodes took ${elapsedMs} ms; a shared rate allows no less than ${leastMs} ms`);
});
