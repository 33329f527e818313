// RELIABILITY E2 (DR switchover): site A is a Redis primary and a `switchboard serve` node on it;
// site B is a Redis replica of A and, after the disaster, a node of its own. Mid-stream all of site
// A is SIGKILLed (Redis and node), B is promoted, and the upstream client replays to B every
// client_ref it holds no ack for and every one it was acked (the last T seconds, here the whole
// run) with the same message. Measured: RPO (acked at A, unknown to B before the replay: the replay
// brings them back as new) and RTO (kill to the first ack at B). After the replay nothing acked is
// lost: every acked client_ref reaches the supplier, under A's message id or under B's, and the
// ones that reach it twice do so with one idempotency key ("dups share keys").
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startCli, startServe, type CliProcess } from '../helpers/cli-process.js';
import { readLedger } from '../helpers/ledger.js';
import { startReplicatedRedis } from '../helpers/redis-sentinel.js';
import { newLedger, streamUntilAcked } from '../helpers/resilient-streamer.js';
import { TEST_API_KEY } from '../helpers/test-config.js';

const TOTAL = 6_000;

/** `switchboard serve` on the Redis at `redisUrl`; returns the process and its address. */
function startSite(t: TestContext, redisUrl: string, supplier: string): Promise<{ node: CliProcess; address: string }> {
  return startServe(
    t,
    `server: { listen: "127.0.0.1:0", shutdownGrace: 2s }
store: { kind: redis, url: "${redisUrl}", keyPrefix: dr, shards: 2, claimIdle: 1s, commandTimeout: 1s }
dispatcher: { retryBackoff: 100ms, maxRetryBackoff: 1s }
tenants: [{ id: tenant-a, apiKeys: [${TEST_API_KEY}], senderNumbers: ["15880000"] }]
providers: [{ id: sim, kind: grpc, address: "${supplier}", channels: [sms, lms], connectTimeout: 500ms, reconnectBackoff: 50ms, maxReconnectBackoff: 500ms }]
routing: { defaultChannel: sms, channels: { sms: [sim], lms: [sim] } }
templates: [{ id: welcome, variables: [name], body: "{{name}}님, 환영합니다." }]
`,
  );
}

test('E2: site A (Redis and node) SIGKILLed mid-stream, its replica promoted at site B, the client replays by client_ref: RPO and RTO measured, nothing acked lost', async (t) => {
  const redis = await startReplicatedRedis(1, 0);
  t.after(() => redis.destroy());
  const [replica] = redis.replicas;
  const dir = mkdtempSync(join(tmpdir(), 'sb-e2-'));
  const ledgerPath = join(dir, 'sim.ledger');
  const sim = startCli(t, ['sim-provider', '--id', 'sim', '--channel', 'sms,lms', '--ledger', ledgerPath, '--latency-ms', '5']);
  const [, supplier] = await sim.waitForLine(/listening on (\S+)/);
  t.after(() => sim.terminate());

  const siteA = await startSite(t, redis.primary.url, supplier as string);
  const refs = Array.from({ length: TOTAL }, (_, i) => `e2-${i}`);
  const atA = newLedger();
  let killedAtMs = 0;
  let replicaFrozen = false;
  // The link to site B lags: at 1,000 acks the replica is frozen and A drops its link (CLIENT KILL
  // TYPE replica), so what A acks after that is A's alone (E2's "replica over a link with latency",
  // made certain). Site A goes down whole at 3,000 acks; the client gives A up 3 s later.
  await streamUntilAcked(
    {
      targets: [siteA.address],
      apiKey: TEST_API_KEY,
      clientRefs: refs,
      frameSize: 100,
      deadlineMs: 3_000,
      onProgress: (l) => {
        if (!replicaFrozen && l.acked.size >= 1_000) {
          replicaFrozen = true;
          replica!.freeze();
          void redis.primary.client().call('CLIENT', 'KILL', 'TYPE', 'replica');
        }
        if (killedAtMs !== 0 || l.acked.size < 3_000) return;
        killedAtMs = Date.now();
        siteA.node.child.kill('SIGKILL');
        void redis.primary.stop('SIGKILL');
      },
    },
    atA,
  ).catch(() => undefined);
  assert.ok(killedAtMs > 0, 'site A was killed mid-stream');
  assert.ok(atA.acked.size >= 3_000 && atA.acked.size < TOTAL, `${atA.acked.size} acked at A`);

  // Site B: the replica promoted, a node started on it, the client replays everything.
  replica!.thaw();
  await replica!.client().call('REPLICAOF', 'NO', 'ONE');
  const siteB = await startSite(t, replica!.url, supplier as string);
  const atB = newLedger();
  let firstAckAtBMs = 0;
  await streamUntilAcked(
    {
      targets: [siteB.address],
      apiKey: TEST_API_KEY,
      clientRefs: refs,
      frameSize: 100,
      deadlineMs: 60_000,
      onProgress: () => {
        firstAckAtBMs ||= Date.now();
      },
    },
    atB,
  );
  assert.equal(atB.acked.size, TOTAL);

  // RPO: acked at A, yet new to B (B's id differs from A's: the replay stored it again).
  const rpo = [...atA.acked].filter(([ref, id]) => atB.acked.get(ref) !== id).length;
  const rtoMs = firstAckAtBMs - killedAtMs;

  // Lost: an acked client_ref whose message (A's id or B's) never reached the supplier.
  const ids = new Map<string, string[]>();
  for (const ref of refs) ids.set(ref, [...new Set([atA.acked.get(ref), atB.acked.get(ref)].filter((id) => id !== undefined))]);
  let lost: string[] = [];
  let sentTwice = 0;
  const deadline = Date.now() + 30_000;
  /** The idempotency key each message id reached the supplier with. */
  let keyOf = new Map<string, string>();
  for (;;) {
    keyOf = new Map((await readLedger(ledgerPath)).map((row) => [row.messageId, row.idempotencyKey]));
    lost = refs.filter((ref) => !(ids.get(ref) ?? []).some((id) => keyOf.has(id)));
    sentTwice = refs.filter((ref) => (ids.get(ref) ?? []).filter((id) => keyOf.has(id)).length > 1).length;
    if (lost.length === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.diagnostic(`acked at A ${atA.acked.size}; RPO ${rpo} messages (acked at A, unknown to B); RTO ${rtoMs} ms (kill to first ack at B, with the promotion and B's start scripted); after the replay lost ${lost.length}; client_refs sent under both sites' ids ${sentTwice}`);
  assert.ok(rpo > 0, 'B missed what A acked while the link lagged: the replay had work to do');
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acked client_refs never reached the supplier`);
  // What reached the supplier twice did so under two ids of one client_ref: the supplier (or the
  // client, by client_ref) can tell them apart; nothing is sent twice that B knew of.
  assert.ok(sentTwice <= rpo, `${sentTwice} sent twice, more than the ${rpo} B did not know`);
  // Dups share keys: the two ids of one client_ref reached the supplier with one idempotency key,
  // and no two client_refs share one, so the supplier can drop exactly the repeats.
  const keysOfRef = refs.map((ref) => new Set((ids.get(ref) ?? []).filter((id) => keyOf.has(id)).map((id) => keyOf.get(id))));
  const splitKeys = refs.filter((_, i) => keysOfRef[i]!.size !== 1 || keysOfRef[i]!.has(''));
  assert.deepEqual(splitKeys.slice(0, 10), [], `${splitKeys.length} client_refs reached the supplier without one idempotency key`);
  assert.equal(new Set(keysOfRef.map((keys) => [...keys][0])).size, refs.length, 'one key per client_ref');
});
