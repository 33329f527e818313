// RELIABILITY/issue 5 fault test: "reports sent while the gateway is restarted are all stored
// exactly once". Real processes on loopback: redis-server, two `switchboard sim-provider --ledger`
// processes that report each message 1 s after taking it, and a `switchboard serve` on the Redis
// store that is stopped (SIGTERM, or SIGKILL) while those reports come due, then started again.
// Every message must end DELIVERED with exactly one final event in its history, and each sim
// must have every report it emitted acked (none pending, unacked or dropped).
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { MessageState } from '../../src/gen/switchboard/v1/gateway.js';
import type { CliProcess } from '../helpers/cli-process.js';
import { GatewayTestClient } from '../helpers/gateway-calls.js';
import { startHarness, type Harness } from '../helpers/redis-cluster-harness.js';
import { TEST_API_KEY } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

const MESSAGES = 300;
const FINAL = new Set([MessageState.MESSAGE_STATE_DELIVERED, MessageState.MESSAGE_STATE_FAILED, MessageState.MESSAGE_STATE_EXPIRED, MessageState.MESSAGE_STATE_REJECTED, MessageState.MESSAGE_STATE_CANCELLED]);

interface SimStats {
  accepted: number;
  reportsPending: number;
  reportsUnacked: number;
  reportsAcked: number;
  reportsDropped: number;
}

/** Asks a sim process for its counters (SIGUSR2 prints them as a "stats" line) and returns the newest. */
async function simStats(sim: CliProcess): Promise<SimStats> {
  const before = (sim.stdout().match(/ stats /g) ?? []).length;
  sim.child.kill('SIGUSR2');
  await waitFor(() => (sim.stdout().match(/ stats /g) ?? []).length > before, 5000, 'a stats line');
  const lines = sim.stdout().trimEnd().split('\n').filter((l) => l.includes(' stats '));
  return JSON.parse(lines.at(-1)!.replace(/^.* stats /, '')) as SimStats;
}

async function sendAll(client: GatewayTestClient, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < MESSAGES; i += 50) {
    const chunk = await Promise.all(
      Array.from({ length: Math.min(50, MESSAGES - i) }, (_, j) => client.send({ clientRef: `${prefix}-${i + j}`, content: { body: `report ${prefix}-${i + j}`, subject: '' } })),
    );
    ids.push(...chunk.map((r) => r.messageId));
  }
  return ids;
}

async function restartWhileReporting(t: TestContext, harness: Harness, stop: (gateway: CliProcess) => Promise<unknown>, prefix: string): Promise<void> {
  const first = new GatewayTestClient(harness.addresses[0]!, TEST_API_KEY);
  const ids = await sendAll(first, prefix);
  first.close();
  // Every message reached a supplier; their reports come due over the next second, while the node is down.
  await waitFor(async () => new Set((await harness.ledgerRows()).map((r) => r.messageId)).size >= ids.length, 20_000, 'every message at a supplier');
  await stop(harness.gateways[0]!);
  // The reports keep coming while no gateway listens: they wait at the supplier, unacked.
  await waitFor(async () => (await Promise.all(harness.sims.map(simStats))).some((s) => s.reportsPending > 0), 10_000, 'reports emitted while the gateway is down');
  await harness.startGateway(0);
  const client = new GatewayTestClient(harness.addresses[0]!, TEST_API_KEY);
  t.after(() => client.close());

  for (const id of ids) {
    await waitFor(async () => FINAL.has((await client.getStatus(id)).state), 30_000, `${id} to reach a final state`);
  }
  let finals = 0;
  for (const id of ids) {
    const status = await client.getStatus(id);
    assert.equal(status.state, MessageState.MESSAGE_STATE_DELIVERED, id);
    const final = status.history.filter((e) => FINAL.has(e.state));
    assert.equal(final.length, 1, `${id}: ${final.length} final events`);
    finals += final.length;
  }
  assert.equal(finals, ids.length);

  // Every report each supplier emitted was acked once stored: none left pending or unacked, none dropped.
  let stats: SimStats[] = [];
  await waitFor(
    async () => {
      stats = await Promise.all(harness.sims.map(simStats));
      return stats.every((s) => s.reportsPending === 0 && s.reportsUnacked === 0 && s.reportsAcked === s.accepted);
    },
    15_000,
    'every report acked',
  ).catch(() => undefined);
  t.diagnostic(`sims: ${JSON.stringify(stats)}`);
  for (const s of stats) {
    assert.deepEqual([s.reportsPending, s.reportsUnacked, s.reportsDropped], [0, 0, 0]);
    assert.equal(s.reportsAcked, s.accepted, 'one report per accepted message, each acked');
  }
  assert.ok(stats.reduce((sum, s) => sum + s.accepted, 0) >= ids.length);
}

test('reports that come due while the gateway is stopped with SIGTERM and started again are all stored exactly once', async (t) => {
  const harness = await startHarness(t, { nodes: 1, simArgs: ['--dlr-delay-ms', '1000'] });
  await restartWhileReporting(t, harness, (gateway) => gateway.terminate(), 'term');
});

test('reports that come due while the gateway is killed with SIGKILL and started again are all stored exactly once', async (t) => {
  const harness = await startHarness(t, { nodes: 1, simArgs: ['--dlr-delay-ms', '1000'] });
  await restartWhileReporting(
    t,
    harness,
    async (gateway) => {
      gateway.child.kill('SIGKILL');
      await gateway.exited;
    },
    'kill',
  );
});
