import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { BenchResults } from '../../bench/lib/results.js';
import { REPO_ROOT } from '../helpers/cli-process.js';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

// The cheapest scenario end to end (in-process router, 1 s phases): the runner's plumbing and the
// three output files, not the figures (no performance assertions).
test('npm run bench -- --scenario router writes results.json, summary.md and a self-contained report.html', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'bench-suite-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const run = spawnSync(process.execPath, [RUN, '--quick', '--scenario', 'router', '--phase-seconds', '1', '--out', out], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /\[router inline\]/); // the progress line
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchResults;
  assert.equal(results.quick, true);
  assert.deepEqual(results.scenarios.map((s) => s.label), ['inline', '1 worker', '2 workers', '4 workers']);
  for (const name of ['router.inline.msgsPerSec', 'router.workers1.msgsPerSec', 'router.workers2.msgsPerSec', 'router.workers4.msgsPerSec']) {
    assert.ok((results.metrics[name] ?? 0) > 0, `${name} = ${results.metrics[name]}`);
  }
  const summary = await readFile(join(out, 'summary.md'), 'utf8');
  assert.match(summary, /\| router \| 2 workers \| [\d,]+ \|/);
  const html = await readFile(join(out, 'report.html'), 'utf8');
  assert.equal((html.match(/<svg /g) ?? []).length, 4); // one throughput chart per router case
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/); // nothing fetched from elsewhere
});

// Rounds (--repeat): every scenario again, each phase marked with its round, each round's metrics
// kept, and the run's metrics their median.
test('--repeat 2 measures every scenario twice and combines the rounds', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'bench-suite-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const run = spawnSync(process.execPath, [RUN, '--quick', '--scenario', 'router', '--phase-seconds', '1', '--repeat', '2', '--out', out], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /\[round 2\/2 router inline\]/);
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchResults;
  assert.equal(results.repeat, 2);
  assert.deepEqual(results.scenarios.map((s) => `${s.label} ${s.round}`), ['inline 1', '1 worker 1', '2 workers 1', '4 workers 1', 'inline 2', '1 worker 2', '2 workers 2', '4 workers 2']);
  const [first, second] = (results.rounds ?? []).map((round) => round.metrics['router.inline.msgsPerSec']);
  assert.ok(typeof first === 'number' && typeof second === 'number' && first > 0 && second > 0, JSON.stringify(results.rounds));
  assert.equal(results.metrics['router.inline.msgsPerSec'], (first + second) / 2); // the median of two
  const summary = await readFile(join(out, 'summary.md'), 'utf8');
  assert.match(summary, /\| router \| 2 workers \(round 2\) \| [\d,]+ \|/);
  assert.match(summary, /\| router.inline.msgsPerSec \| [\d,.]+ \| [\d,.]+ \/ [\d,.]+ \|/);
  assert.match(summary, /MISS failover: 0 messages lost: failover.lost = n\/a/);
  const html = await readFile(join(out, 'report.html'), 'utf8');
  assert.equal((html.match(/<svg /g) ?? []).length, 8);

  const refused = spawnSync(process.execPath, [RUN, '--repeat', '0'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /--repeat must be a whole number of rounds >= 1, got "0"/);
});

test('an unknown scenario is refused with the list of scenarios', () => {
  const run = spawnSync(process.execPath, [RUN, '--scenario', 'nope'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /unknown scenario "nope"[\s\S]*bulk, single, latency, urgent-under-bulk, urgent-lane, failover, router/);
});

// The gateway-bearing path of the runner (a real gateway process and supplier, 1 s phases), with
// the two options for looking inside the gateway: node flags reach it, and its output is shown
// only when asked for.
test('--gateway-node-args reach the gateway process; --gateway-output copies what it prints to stderr', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'bench-suite-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const gcLine = /\b(Scavenge|Mark-Compact)\b/;
  const run = (...extra: string[]) =>
    spawnSync(process.execPath, [RUN, '--quick', '--scenario', 'single', '--phase-seconds', '1', '--out', out, '--gateway-node-args=--trace-gc', ...extra], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });

  const shown = run('--gateway-output');
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stderr, gcLine, 'the gateway ran with --trace-gc and its output was copied');
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchResults;
  assert.ok((results.metrics['single.memory.deliveredPerSec'] ?? 0) > 0, JSON.stringify(results.metrics));
  // How quiet the machine was: measured for every phase, and what the quiet-machine targets read.
  const single = results.scenarios.find((s) => s.scenario === 'single');
  assert.equal(typeof single?.extra?.['otherCpuPct'], 'number', JSON.stringify(single?.extra));
  assert.equal(typeof results.metrics['machine.otherCpuPctMax'], 'number');
  assert.equal(typeof results.metrics['machine.stealPctMax'], 'number');
  // How long the gateway's event loop and the client's waited for a CPU (Linux schedstat).
  assert.equal(typeof single?.extra?.['gatewayRunQueueMsPerSec'], 'number', JSON.stringify(single?.extra));
  assert.equal(typeof single?.extra?.['benchRunQueueMsPerSec'], 'number', JSON.stringify(single?.extra));
  const summary = await readFile(join(out, 'summary.md'), 'utf8');
  assert.match(summary, /\| ack p50 ms \| ack p90 ms \| ack p99 ms \|/);
  assert.match(summary, /\| single \| memory, 1 per frame \| [\d,]+ \| [\d,]+ \| [\d.,]+ \| [\d.,]+ \| [\d.,]+ \|/);

  const hidden = run();
  assert.equal(hidden.status, 0, hidden.stderr);
  assert.doesNotMatch(hidden.stderr, gcLine, 'without --gateway-output the gateway output stays out of the progress stream');
});

// urgent-under-bulk's third case: the same urgent calls to a bare echo while the gateway carries the
// same bulk, so a run tells the machine's share of the urgent tail from the gateway's own.
test('urgent-under-bulk measures the urgent calls alone, under bulk, and against a bare echo under the same bulk', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'bench-suite-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const run = spawnSync(process.execPath, [RUN, '--quick', '--scenario', 'urgent-under-bulk', '--phase-seconds', '1', '--out', out], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 90_000 });
  assert.equal(run.status, 0, run.stderr);
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchResults;
  const cases = results.scenarios.filter((s) => s.scenario === 'urgent-under-bulk');
  assert.deepEqual(cases.map((s) => s.label.replace(/[\d,]+\/s$/, 'N/s')), ['urgent 200/s alone', 'urgent 200/s under bulk N/s', 'the same 200/s to a bare echo, gateway under bulk N/s']);
  for (const name of ['urgent.aloneP99Ms', 'urgent.underBulkP99Ms', 'urgent.echoUnderBulkP99Ms']) assert.ok((results.metrics[name] ?? 0) > 0, `${name} = ${results.metrics[name]}`);
  assert.equal(typeof results.metrics['urgent.underBulk.gatewayRunQueueMsPerSec'], 'number');
  const echoCase = cases[2]!;
  assert.ok(echoCase.accepted > 0);
  assert.ok(Number(echoCase.extra?.['bulkAcceptedPerSec']) > 0, 'the bulk load ran on the gateway meanwhile');
  assert.equal(typeof echoCase.extra?.['echoRunQueueMsPerSec'], 'number', JSON.stringify(echoCase.extra));
});

// --sut-cpus: the gateway on CPUs of its own, the harness on the rest (2 CPUs here: 1 and 0).
test('--sut-cpus runs the gateway on the CPUs given and the harness on the others; a list that leaves the harness none is refused', async (t) => {
  const cpuCount = availableParallelism();
  assert.ok(cpuCount >= 2, `--sut-cpus needs 2 CPUs or more to test; this machine has ${cpuCount}`);
  const last = String(cpuCount - 1);
  const out = await mkdtemp(join(tmpdir(), 'bench-suite-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const run = spawnSync(process.execPath, [RUN, '--quick', '--scenario', 'single', '--phase-seconds', '1', '--out', out, '--sut-cpus', last], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchResults;
  assert.equal(results.machine.sutCpus, last);
  assert.equal(results.machine.harnessCpus, [...Array(cpuCount - 1).keys()].join(','), 'every other CPU');
  const single = results.scenarios.find((s) => s.scenario === 'single');
  assert.equal(single?.params['gatewayCpus'], last, 'the gateway process could run on the given CPU only');
  assert.match(await readFile(join(out, 'summary.md'), 'utf8'), new RegExp(`systems under test on CPUs ${last}, the harness on`));

  const all = spawnSync(process.execPath, [RUN, '--quick', '--scenario', 'single', '--out', out, '--sut-cpus', `0-${last}`], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(all.status, 2);
  assert.match(all.stderr, /leaves no CPU for the load generator and the simulated suppliers/);
});
