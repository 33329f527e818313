// RELIABILITY E1 (soak with background chaos): two `switchboard serve` nodes on one Redis (AOF)
// and two simulated suppliers carry a steady stream from a client that resends whatever it holds
// no ack for, while a fault from rows A, B and C strikes every 8-12 s: a node SIGKILLed and
// started again, redis-server SIGKILLed and restarted, Redis frozen for 2 s, a supplier SIGKILLed
// and started again. Node 0 is never killed; it is the one watched. Checked:
// - lost = 0: every acked message reached a supplier, and suppliers got nothing never acked;
// - the queue's pending entries return to about what is in flight after every fault, and to 0 at the end;
// - node 0's file descriptors are as many after the run as before it (nothing leaked per reconnect);
// - node 0's event-loop delay (p99 of each second, from /metrics) stays under 50 ms outside fault windows;
// - node 0's RSS, reported (a slope needs the long run) and bounded against a gross leak.
// CI runs 90 s at 1,000 msgs/s beside other tests. The row's full form (30 min at ~70% of capacity,
// 24 h on staging) is the same test: SWITCHBOARD_SOAK_SECONDS=1800 SWITCHBOARD_SOAK_RATE=N npm test -- soak-with-chaos
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LANES, RedisKeys } from '../../src/store/redis-keys.js';
import { checkDelivered, startHarness, type Harness } from '../helpers/redis-cluster-harness.js';
import { newLedger, streamUntilAcked } from '../helpers/resilient-streamer.js';
import { TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

const SECONDS = Number(process.env['SWITCHBOARD_SOAK_SECONDS'] ?? 90);
const RATE = Number(process.env['SWITCHBOARD_SOAK_RATE'] ?? 1000);
const SEED = Number(process.env['SWITCHBOARD_SOAK_SEED'] ?? Date.now() % 100_000);
/** The client starts a round of this many messages five times a second. */
const ROUND = Math.max(1, Math.round(RATE / 5));
/** What may be pending while the load runs: a tenth of a second of traffic, at least 50. */
const CALM_PENDING = Math.max(50, RATE / 10);
/** No entry may stay pending longer than this: three claimIdles, after which another node must have taken it over. */
const STUCK_MS = 3000;
const FAULTS = ['node', 'redis-kill', 'redis-freeze', 'supplier'] as const;
type Fault = (typeof FAULTS)[number];

/** mulberry32: faults repeat for a seed (printed), so a failing run can be run again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Entries read by a node and not yet acked, over every lane stream, and how many of them have been
 * pending longer than STUCK_MS; Infinity for both while Redis cannot answer.
 */
async function pending(harness: Harness): Promise<{ total: number; stuck: number }> {
  const keys = new RedisKeys('sb', 4);
  const redis = harness.redis.client();
  try {
    let total = 0;
    let stuck = 0;
    for (let shard = 0; shard < keys.shards; shard++) {
      for (const lane of LANES) {
        const stream = keys.lane(shard, lane);
        total += Number(((await redis.xpending(stream, 'dispatch')) as unknown[])[0]);
        stuck += ((await redis.xpending(stream, 'dispatch', 'IDLE', STUCK_MS, '-', '+', 1)) as unknown[]).length;
      }
    }
    return { total, stuck };
  } catch {
    return { total: Number.POSITIVE_INFINITY, stuck: Number.POSITIVE_INFINITY };
  } finally {
    redis.disconnect();
  }
}

/** Pending back to what is in flight, none stuck. */
async function isCalm(harness: Harness): Promise<boolean> {
  const { total, stuck } = await pending(harness);
  return total <= CALM_PENDING && stuck === 0;
}

function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** Event-loop delay p99 since the last scrape (prom-client resets its histogram on each), in ms. */
async function loopDelayP99Ms(metricsAddress: string): Promise<number> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  const value = /^switchboard_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text)?.[1];
  assert.ok(value !== undefined, 'node 0 exports switchboard_nodejs_eventloop_lag_p99_seconds');
  return Number(value) * 1000;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

async function strike(fault: Fault, harness: Harness, pick: () => number): Promise<string> {
  switch (fault) {
    case 'node': {
      const node = harness.gateways[1];
      node?.child.kill('SIGKILL');
      await node?.exited;
      await sleep(500);
      await harness.startGateway(1);
      return 'node 1 SIGKILLed, started again after 0.5 s';
    }
    case 'redis-kill':
      await harness.redis.stop('SIGKILL');
      await sleep(1000);
      await harness.redis.restart();
      return 'redis-server SIGKILLed, restarted after 1 s';
    case 'redis-freeze':
      harness.redis.freeze();
      await sleep(2000);
      harness.redis.thaw();
      return 'redis-server frozen (SIGSTOP) for 2 s';
    case 'supplier': {
      const i = pick() < 0.5 ? 0 : 1;
      const sim = harness.sims[i];
      sim?.child.kill('SIGKILL');
      await sim?.exited;
      await sleep(1000);
      await harness.restartSim(i);
      return `supplier sim-${'ab'[i]} SIGKILLed, started again after 1 s`;
    }
  }
}

test(`E1: a soak of ${SECONDS} s at ${RATE} msgs/s with a fault every 8-12 s loses nothing; pending, file descriptors and event-loop delay come back after each`, async (t: TestContext) => {
  const harness = await startHarness(t, { nodes: 2, metrics: true, claimIdle: '1s', redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  const watched = harness.gateways[0]!.child.pid!;
  const metrics = harness.metricsAddresses[0]!;
  const pick = random(SEED);
  t.diagnostic(`seed ${SEED} (SWITCHBOARD_SOAK_SEED repeats this run's faults)`);

  await loopDelayP99Ms(metrics); // opens the scrape connection, which stays open (keep-alive) through the run
  const filesBefore = openFiles(watched);

  // The load: a round of ROUND messages five times a second, each round resent until acked.
  const ledger = newLedger();
  const rounds: Promise<unknown>[] = [];
  const startedAt = Date.now();
  const loadEndsAt = startedAt + SECONDS * 1000;
  const load = (async () => {
    for (let round = 0; Date.now() < loadEndsAt; round++) {
      const clientRefs = Array.from({ length: ROUND }, (_, i) => `e1-${round}-${i}`);
      const targets = round % 2 === 0 ? [harness.addresses[0]!, harness.addresses[1]!] : [harness.addresses[1]!, harness.addresses[0]!];
      rounds.push(streamUntilAcked({ targets, apiKey: TEST_API_KEY, clientRefs, frameSize: 50, deadlineMs: 120_000 }, ledger));
      await sleep(Math.max(0, startedAt + (round + 1) * 200 - Date.now()));
    }
    await Promise.all(rounds);
  })();

  // node 0, each second: event-loop delay, RSS.
  const seconds: { atMs: number; loopMs: number; rssMb: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await sleep(1000);
      seconds.push({ atMs: Date.now(), loopMs: await loopDelayP99Ms(metrics), rssMb: rssMb(watched) });
    }
  })();

  // The chaos: every kind once in a shuffled order, then at random; each followed by its recovery.
  const windows: { fromMs: number; toMs: number }[] = [];
  const order: Fault[] = [...FAULTS];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(pick() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const log: string[] = [];
  await sleep(8000 + pick() * 4000);
  for (let n = 0; Date.now() < loadEndsAt - 12_000; n++) {
    const fault = order[n] ?? FAULTS[Math.floor(pick() * FAULTS.length)]!;
    const fromMs = Date.now();
    const what = await strike(fault, harness, pick);
    // Pending returns to what is in flight: a dead node's claims are taken over after claimIdle (1 s).
    await waitFor(() => isCalm(harness), 30_000, `pending entries back under ${CALM_PENDING}, none pending over ${STUCK_MS} ms, after: ${what}`);
    windows.push({ fromMs: fromMs - 1000, toMs: Date.now() + 3000 });
    log.push(`${((fromMs - startedAt) / 1000).toFixed(1)} s: ${what}, calm after ${((Date.now() - fromMs) / 1000).toFixed(1)} s`);
    await sleep(Math.max(0, fromMs + 8000 + pick() * 4000 - Date.now()));
  }
  await load;
  sampling = false;
  await sampler;
  t.diagnostic(log.join('; '));
  assert.ok(windows.length >= Math.min(4, Math.floor((SECONDS - 20) / 12)), `${windows.length} faults struck`);

  // lost = 0, and no supplier got a message the gateway never acked.
  const sent = ROUND * Math.ceil((SECONDS * 1000) / 200);
  assert.ok(ledger.acked.size >= sent * 0.9, `${ledger.acked.size} acked of about ${sent} sent`);
  const { lost, duplicates } = await checkDelivered(harness, ledger.acked, 60_000);
  const promised = new Set(ledger.acked.values());
  const phantom = (await harness.ledgerRows()).filter((row) => !promised.has(row.messageId));
  t.diagnostic(`acked ${ledger.acked.size}, lost ${lost.length}, duplicates ${duplicates} (same message_id), phantom ${phantom.length}; stream errors ${ledger.streamErrors}`);
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acked messages never reached a supplier`);
  assert.deepEqual(phantom.slice(0, 10), [], 'suppliers received messages the gateway never acked');

  // Nothing left pending once the load is done.
  await waitFor(async () => (await pending(harness)).total === 0, 30_000, 'no pending entries after the run');

  // File descriptors: as many as before the load, once the clients' connections have closed.
  let filesAfter = openFiles(watched);
  await waitFor(() => (filesAfter = openFiles(watched)) <= filesBefore + 2, 15_000, 'node 0 to hold no more file descriptors than before').catch(() => undefined);
  t.diagnostic(`node 0 file descriptors: ${filesBefore} before, ${filesAfter} after`);
  assert.ok(filesAfter <= filesBefore + 2, `node 0 holds ${filesAfter} file descriptors after the run, ${filesBefore} before`);

  // Event-loop delay outside the fault windows, one p99 per second.
  // monitorEventLoopDelay's values include its 10 ms sampling interval: an idle loop reads ~10 ms.
  const inFault = (atMs: number): boolean => windows.some((w) => atMs - 1000 < w.toMs && atMs > w.fromMs);
  const calm = seconds.filter((s) => !inFault(s.atMs)).map((s) => s.loopMs);
  const faulty = seconds.filter((s) => inFault(s.atMs)).map((s) => s.loopMs);
  t.diagnostic(
    `node 0 event-loop delay p99 per second outside faults (${calm.length} s): median ${quantile(calm, 0.5).toFixed(1)} ms, p90 ${quantile(calm, 0.9).toFixed(1)} ms, worst ${Math.max(...calm).toFixed(1)} ms; in fault windows worst ${Math.max(0, ...faulty).toFixed(1)} ms`,
  );
  assert.ok(calm.length >= 10, `${calm.length} seconds outside fault windows`);
  // Most seconds, not every one: the test shares 2 cores with the rest of the suite.
  assert.ok(quantile(calm, 0.9) < 50, `event-loop delay p99 over 50 ms in more than a tenth of the calm seconds (p90 ${quantile(calm, 0.9).toFixed(1)} ms)`);

  // RSS: reported; a slope needs the long run. Bounded against a gross leak.
  const warm = seconds.filter((s) => s.atMs - startedAt >= 5000).slice(0, 5).map((s) => s.rssMb);
  const last = seconds.slice(-5).map((s) => s.rssMb);
  t.diagnostic(`node 0 RSS: ${quantile(warm, 0.5).toFixed(0)} MB after warm-up, ${quantile(last, 0.5).toFixed(0)} MB at the end`);
  assert.ok(quantile(last, 0.5) - quantile(warm, 0.5) < 150, 'node 0 RSS grew by 150 MB or more');
});
