// failover: steady open-loop load over two SMS suppliers (real `switchboard sim-provider`
// processes with ledgers); the one carrying the traffic is SIGKILLed. Every accepted message must
// reach a supplier (lost = 0); duplicates are counted; recovery is the time from the kill until
// delivered throughput is back above 80% of what it was before.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLoad } from '../../src/loadgen/load-generator.js';
import type { BenchContext } from '../lib/bench-context.js';
import { BATCH_SIZE, BENCH_API_KEY, benchMessage, writeGatewayConfig } from '../lib/bench-config.js';
import { startPerfRecording, type PerfRecording } from '../lib/perf-profile.js';
import { startGatewayProcess, startSimProviderProcess, type RunningProcess } from '../lib/processes.js';
import type { SeriesPoint } from '../lib/results.js';

/** One ledger line: when a supplier received which message. */
interface Arrival {
  atMs: number;
  id: string;
}

function readLedger(path: string): Arrival[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [at, id] = line.split('\t');
      return { atMs: Number(at), id: id ?? '' };
    });
}

/** Analysis of the ledgers, separate from the processes so it can be reasoned about alone. */
export function analyseFailover(arrivals: Arrival[], accepted: ReadonlySet<string>, killAtMs: number, windowMs = 500): { lost: number; duplicates: number; preKillPerSec: number; recoveryMs: number | null } {
  const seen = new Map<string, number>();
  for (const a of arrivals) seen.set(a.id, (seen.get(a.id) ?? 0) + 1);
  let lost = 0;
  for (const id of accepted) if (!seen.has(id)) lost++;
  let duplicates = 0;
  for (const n of seen.values()) if (n > 1) duplicates += n - 1;
  const times = arrivals.map((a) => a.atMs).sort((a, b) => a - b);
  const countBetween = (from: number, to: number): number => lowerBound(times, to) - lowerBound(times, from);
  const preKillPerSec = countBetween(killAtMs - 2000, killAtMs) / 2;
  let recoveryMs: number | null = null;
  const last = times[times.length - 1] ?? killAtMs;
  for (let t = killAtMs; t + windowMs <= last + 1; t += 50) {
    if (countBetween(t, t + windowMs) / (windowMs / 1000) >= 0.8 * preKillPerSec) {
      recoveryMs = t + windowMs - killAtMs;
      break;
    }
  }
  return { lost, duplicates, preKillPerSec, recoveryMs };
}

function lowerBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export async function runFailover(ctx: BenchContext): Promise<void> {
  const peak = await ctx.bulkPeak();
  const rate = Math.max(500, Math.min(5000, Math.round(peak * 0.2)));
  // A ledger per round: the simulator appends to the file it is given.
  const ledgers = ['a', 'b'].map((sim) => join(ctx.dir, `failover-${sim}-round${ctx.round}.ledger`));
  const sims: RunningProcess[] = [];
  let gateway: RunningProcess | undefined;
  let recording: PerfRecording | undefined;
  try {
    for (const [i, ledger] of ledgers.entries()) sims.push(await startSimProviderProcess(`sim-${'ab'[i]}`, ledger));
    const config = writeGatewayConfig(ctx.dir, 'failover', { store: '{ kind: memory }', providers: sims.map((s, i) => ({ id: `sim-${'ab'[i]}`, address: s.address })) });
    gateway = await startGatewayProcess(config, ctx.gatewayNodeArgs, ctx.showGatewayOutput);
    recording = ctx.perfDir === undefined ? undefined : startPerfRecording(gateway.pid, ctx.perfDir, `failover-round${ctx.round}`);
    const acceptedIds = new Set<string>();
    const beforeMs = (ctx.quick ? 3 : 5) * 1000;
    const afterMs = (ctx.quick ? 6 : 15) * 1000;
    ctx.progress.phase(`failover ${rate.toLocaleString('en-US')}/s over 2 suppliers`);
    const startedAt = Date.now();
    const series: SeriesPoint[] = [];
    let killAtMs = 0;
    let killed = '';
    const killTimer = setTimeout(() => {
      // Kill whichever supplier carries the traffic now (the choice policy decides which).
      const counts = ledgers.map((l) => (existsSync(l) ? readFileSync(l, 'utf8').length : 0));
      const victim = counts[1]! > counts[0]! ? 1 : 0;
      killed = `sim-${'ab'[victim]}`;
      killAtMs = Date.now();
      sims[victim]!.child.kill('SIGKILL');
      ctx.progress.update({ note: `killed ${killed}` });
    }, beforeMs);
    const load = await runLoad({
      target: gateway.address, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: 2, batchSize: BATCH_SIZE,
      ratePerSec: rate, durationMs: beforeMs + afterMs, message: benchMessage(),
      onAcks: (acks) => {
        for (const ack of acks) if (ack.accepted) acceptedIds.add(ack.messageId);
      },
      onSample: (sample) => {
        series.push({ t: sample.t, acceptedPerSec: sample.acceptedPerSec, ackP50Ms: sample.ackP50Ms, ackP99Ms: sample.ackP99Ms, errors: sample.errors });
        ctx.progress.update({ acceptedPerSec: sample.acceptedPerSec, errors: sample.errors });
      },
    });
    clearTimeout(killTimer);
    // Wait until every accepted message is in a ledger, or 20 s (retries after the kill take a while).
    const deadline = Date.now() + 20_000;
    let arrivals = ledgers.flatMap(readLedger);
    while (Date.now() < deadline && new Set(arrivals.map((a) => a.id)).size < acceptedIds.size) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      arrivals = ledgers.flatMap(readLedger);
    }
    const analysis = analyseFailover(arrivals, acceptedIds, killAtMs);
    // Delivered per second from the ledgers, on the same clock as the load series.
    for (const point of series) {
      const to = startedAt + point.t * 1000;
      point.deliveredPerSec = arrivals.filter((a) => a.atMs >= to - 1000 && a.atMs < to).length;
    }
    ctx.metrics['failover.lost'] = analysis.lost;
    ctx.metrics['failover.duplicates'] = analysis.duplicates;
    ctx.metrics['failover.recoveryMs'] = analysis.recoveryMs;
    ctx.progress.done(`lost ${analysis.lost}, duplicates ${analysis.duplicates}, back above 80% after ${analysis.recoveryMs ?? 'never'} ms`);
    ctx.results.push({
      scenario: 'failover',
      label: `${rate.toLocaleString('en-US')}/s, ${killed} killed at ${((killAtMs - startedAt) / 1000).toFixed(1)} s`,
      params: { ratePerSec: rate, suppliers: 2, killedAfterMs: beforeMs, durationMs: beforeMs + afterMs },
      sent: load.sent, accepted: load.accepted, rejected: load.rejected, errors: load.errors,
      delivered: new Set(arrivals.map((a) => a.id)).size, acceptedPerSec: load.acceptedPerSec,
      ack: load.ack.summary(), ackHistogram: load.ack.toJSON(), series,
      extra: { killed, lost: analysis.lost, duplicates: analysis.duplicates, preKillPerSec: analysis.preKillPerSec, recoveryMs: analysis.recoveryMs },
      ...(load.errorMessages.length > 0 ? { errorMessages: load.errorMessages } : {}),
    });
  } finally {
    await recording?.stop();
    await gateway?.stop();
    for (const sim of sims) await sim.stop();
  }
}
