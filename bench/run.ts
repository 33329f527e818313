// `npm run bench`: starts what it needs (redis-server, gateway processes, simulated providers,
// the echo baseline), runs the scenarios, stops everything, and writes
// bench/results/<timestamp>/{results.json,summary.md,report.html}. See bench/README.md.
//
//   npm run bench [-- --quick] [--scenario NAME ...] [--repeat N] [--soak MINUTES] [--out DIR] [--profile-dir DIR] [--perf-dir DIR] [--gateway-node-args="ARGS"] [--gateway-output] [--sut-cpus LIST]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchContext } from './lib/bench-context.js';
import { cpuListText, pinHarness, type CpuSplit } from './lib/cpu-pinning.js';
import { checkTargets, worstOfRounds, type Target } from './lib/check-targets.js';
import { BATCH_SIZE, BENCH_API_KEY, benchMessage } from './lib/bench-config.js';
import { startGatewayUnderTest } from './lib/gateway-under-test.js';
import { addMachineQuiet } from './lib/machine-activity.js';
import { addMainThreadCeilings } from './lib/main-thread-ceilings.js';
import { measureLoad } from './lib/measure-load.js';
import { PERF_NODE_FLAG, perfUnavailable } from './lib/perf-profile.js';
import { ROOT, startRedisServer, type RedisServer } from './lib/processes.js';
import { createProgress } from './lib/progress.js';
import type { BenchResults, ScenarioResult } from './lib/results.js';
import { combineRounds, type Metrics } from './lib/rounds.js';
import { reportHtml, summaryMarkdown } from './lib/write-report.js';
import { runBaselines } from './scenarios/baselines.js';
import { MEMORY_RUN_MESSAGES, runBulk } from './scenarios/bulk.js';
import { runFailover } from './scenarios/failover.js';
import { runLatency } from './scenarios/latency.js';
import { runRouter } from './scenarios/router.js';
import { runSingle } from './scenarios/single.js';
import { runSoak } from './scenarios/soak.js';
import { runUrgentLane } from './scenarios/urgent-lane.js';
import { runUrgentUnderBulk } from './scenarios/urgent-under-bulk.js';

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<void>> = {
  baseline: runBaselines,
  bulk: runBulk,
  single: runSingle,
  latency: runLatency,
  'urgent-under-bulk': runUrgentUnderBulk,
  'urgent-lane': runUrgentLane,
  failover: runFailover,
  router: runRouter,
};

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scenario: { type: 'string', multiple: true },
    soak: { type: 'string' },
    out: { type: 'string' },
    'profile-dir': { type: 'string' },
    'perf-dir': { type: 'string' },
    'gateway-node-args': { type: 'string' },
    'gateway-output': { type: 'boolean', default: false },
    'phase-seconds': { type: 'string' },
    'memory-run-messages': { type: 'string' },
    'sut-cpus': { type: 'string' },
    repeat: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
const USAGE = `npm run bench -- [--quick] [--scenario NAME ...] [--repeat N] [--soak MINUTES] [--out DIR] [--phase-seconds N] [--memory-run-messages N] [--profile-dir DIR] [--perf-dir DIR] [--gateway-node-args="ARGS"] [--gateway-output] [--sut-cpus LIST]
  --profile-dir DIR: each gateway runs with node --cpu-prof; its .cpuprofile goes to DIR
  --perf-dir DIR: Linux perf samples each gateway's measured phases (all threads, V8 built-ins and native code
    included); DIR gets <gateway>-round<N>.svg (a flame graph), .folded (for other flame graph tools) and .top.txt
  --repeat N: measure every scenario N times (rounds) and read the targets over them: the median round, or the
    worst for a bound that must always hold (3 by default, 1 with --quick; the 2,000,000-message run and the soak run once)
  --sut-cpus LIST: run the systems under test (gateways, the echo baseline, redis-server) on these CPUs, e.g. 2-3,
    and the load generator and simulated suppliers on the others, so the harness cannot take the gateway's CPU (Linux, taskset)
  --gateway-node-args: extra node flags for every gateway process, e.g. --gateway-node-args="--trace-gc" (split on spaces)
  --gateway-output: copy the gateway processes' stdout (logs, --trace-gc lines) to stderr
  scenarios: ${[...Object.keys(SCENARIOS), 'soak'].join(', ')} (soak runs only with --soak)`;
if (values.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const chosen = values.scenario ?? Object.keys(SCENARIOS);
for (const name of chosen) {
  if (!(name in SCENARIOS) && name !== 'soak') {
    process.stderr.write(`unknown scenario "${name}"\n${USAGE}\n`);
    process.exit(2);
  }
}
const soakMinutes = values.soak === undefined ? undefined : Number(values.soak);
if (soakMinutes !== undefined && !(soakMinutes > 0)) {
  process.stderr.write(`--soak must be a number of minutes > 0, got "${values.soak}"\n`);
  process.exit(2);
}
if (chosen.includes('soak') && soakMinutes === undefined) {
  process.stderr.write('the soak scenario needs --soak MINUTES\n');
  process.exit(2);
}

for (const flag of ['phase-seconds', 'memory-run-messages'] as const) {
  const raw = values[flag];
  if (raw !== undefined && !(Number(raw) > 0)) {
    process.stderr.write(`--${flag} must be a number > 0, got "${raw}"\n`);
    process.exit(2);
  }
}
const perfDir = values['perf-dir'] === undefined ? undefined : resolve(values['perf-dir']);
if (perfDir !== undefined) {
  const why = perfUnavailable();
  if (why !== null) {
    process.stderr.write(`${why}\n`);
    process.exit(2);
  }
  mkdirSync(perfDir, { recursive: true });
}
if (values.repeat !== undefined && !(Number.isInteger(Number(values.repeat)) && Number(values.repeat) >= 1)) {
  process.stderr.write(`--repeat must be a whole number of rounds >= 1, got "${values.repeat}"\n`);
  process.exit(2);
}

// Before anything starts a thread or a process: each inherits the CPUs of the thread that makes it.
let cpuSplit: CpuSplit | undefined;
if (values['sut-cpus'] !== undefined) {
  try {
    cpuSplit = pinHarness(values['sut-cpus']);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
}

const startedAt = new Date();
const quick = values.quick === true;
/** Rounds of every scenario: a release decision read off one 15 s phase per case is read off noise (rounds.ts). */
const repeat = values.repeat === undefined ? (quick ? 1 : 3) : Number(values.repeat);
const phaseSeconds = values['phase-seconds'] === undefined ? (quick ? 3 : 15) : Number(values['phase-seconds']);
const outDir = resolve(values.out ?? join(ROOT, 'bench/results', startedAt.toISOString().replace(/[:.]/g, '-')));
const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
let redis: Promise<RedisServer> | undefined;
const results: ScenarioResult[] = [];
const progress = createProgress();
const gatewayNodeArgs = [
  ...(values['profile-dir'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(values['profile-dir'])}`]),
  ...(perfDir === undefined ? [] : [PERF_NODE_FLAG]),
  ...(values['gateway-node-args']?.split(' ').filter((arg) => arg !== '') ?? []),
];

/** What the scenarios of one round share: their metrics, and the bulk peak the open-loop scenarios aim at. */
function roundContext(round: number, metrics: Metrics): BenchContext {
  let peak: Promise<number> | undefined;
  const ctx: BenchContext = {
    quick,
    round,
    memoryRunMessages: values['memory-run-messages'] === undefined ? MEMORY_RUN_MESSAGES : Number(values['memory-run-messages']),
    phaseSeconds,
    dir,
    redis: () => (redis ??= startRedisServer(dir)),
    progress: repeat === 1 ? progress : { ...progress, phase: (name) => progress.phase(`round ${round}/${repeat} ${name}`) },
    results,
    metrics,
    gatewayNodeArgs,
    showGatewayOutput: values['gateway-output'] === true,
    perfDir,
    // This round's bulk figure when it ran; otherwise a short probe, so `--scenario latency` works alone.
    bulkPeak: () =>
      (peak ??= (async () => {
        const measured = metrics['bulk.memory.deliveredPerSec'];
        if (typeof measured === 'number' && measured > 0) return measured;
        const gateway = await startGatewayUnderTest(ctx, 'peak-probe', { store: 'memory' });
        try {
          const probe = await measureLoad(ctx, {
            scenario: 'peak-probe', label: 'memory x4',
            load: { target: gateway.address, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: 4, batchSize: BATCH_SIZE, ratePerSec: 0, durationMs: Math.min(phaseSeconds, 5) * 1000, message: benchMessage() },
            providers: [gateway.provider],
          });
          metrics['peakProbe.deliveredPerSec'] = probe.deliveredPerSec ?? null;
          return probe.deliveredPerSec ?? 1000;
        } finally {
          await gateway.stop();
        }
      })()),
  };
  return ctx;
}

const failures: string[] = [];
const stopAll = async (): Promise<void> => {
  if (redis !== undefined) await (await redis.catch(() => undefined))?.stop();
  rmSync(dir, { recursive: true, force: true });
};
process.once('SIGINT', () => {
  void stopAll().finally(() => process.exit(130));
});
/** Each round's metrics, in order. */
const rounds: Metrics[] = [];
try {
  for (let round = 1; round <= repeat; round++) {
    const roundMetrics: Metrics = {};
    rounds.push(roundMetrics);
    const ctx = roundContext(round, roundMetrics);
    const firstPhase = results.length;
    for (const name of Object.keys(SCENARIOS)) {
      if (!chosen.includes(name)) continue;
      try {
        await SCENARIOS[name]!(ctx);
      } catch (error) {
        // One broken scenario must not hide the others' figures.
        const where = repeat === 1 ? name : `${name} (round ${round})`;
        failures.push(`${where}: ${(error as Error).message}`);
        process.stderr.write(`\nscenario ${where} failed: ${(error as Error).stack ?? String(error)}\n`);
      }
    }
    // The soak runs once, in the last round.
    if (soakMinutes !== undefined && round === repeat) {
      try {
        await runSoak(ctx, soakMinutes);
      } catch (error) {
        failures.push(`soak: ${(error as Error).message}`);
        process.stderr.write(`\nscenario soak failed: ${(error as Error).stack ?? String(error)}\n`);
      }
    }
    const phases = results.slice(firstPhase);
    if (repeat > 1) for (const phase of phases) phase.round = round;
    addMainThreadCeilings(roundMetrics);
    addMachineQuiet(roundMetrics, phases);
  }
} finally {
  await stopAll();
}

const { targets } = JSON.parse(readFileSync(join(ROOT, 'bench/targets.json'), 'utf8')) as { targets: Target[] };
const metrics: Metrics = repeat === 1 ? (rounds[0] ?? {}) : combineRounds(rounds, worstOfRounds(targets));
const output: BenchResults = {
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  quick,
  ...(repeat === 1 ? {} : { repeat, rounds: rounds.map((roundMetrics) => ({ metrics: roundMetrics })) }),
  machine: {
    cpus: cpus().length, loadAverage: loadavg(), node: process.version, platform: process.platform,
    ...(cpuSplit === undefined ? {} : { sutCpus: cpuListText(cpuSplit.sut), harnessCpus: cpuListText(cpuSplit.harness) }),
  },
  scenarios: results,
  metrics,
};
mkdirSync(outDir, { recursive: true });
// The targets as they stand in this run, for reading at a glance; the gate is `npm run bench:check`.
const targetLines = checkTargets(targets, metrics, quick, rounds).map((outcome) => outcome.line);
const summary = `${summaryMarkdown(output)}\n## Targets (bench/targets.json)\n\n\`\`\`\n${targetLines.join('\n')}\n\`\`\`\n`;
writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(output, null, 1)}\n`);
writeFileSync(join(outDir, 'summary.md'), summary);
writeFileSync(join(outDir, 'report.html'), reportHtml(output, summary));
process.stdout.write(`${summary}\nwrote ${outDir}/{results.json,summary.md,report.html}\n`);
if (failures.length > 0) {
  process.stderr.write(`scenarios that failed:\n  ${failures.join('\n  ')}\n`);
  process.exitCode = 1;
}
// Exit explicitly: pooled gRPC channels and worker threads would otherwise keep the process up.
process.exit(process.exitCode ?? 0);
