import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

// --perf-dir with a stand-in for Linux perf on the PATH (CI machines need not have perf, or leave
// it perf events): it checks what the runner asks of perf and answers as perf does. By hand, with
// the real perf, the same run gives the same three files (bench/README.md, session 14).
const FAKE_PERF = `
const { readFileSync, writeFileSync } = require('node:fs');
const args = process.argv.slice(2);
const after = (flag) => args[args.indexOf(flag) + 1];
if (args[0] === '--version') { console.log('perf version 0.0 (stand-in)'); process.exit(0); }
if (args[0] === 'record') {
  // The process perf is pointed at, as perf would see it, written out when the runner stops it.
  const pid = after('-p');
  const cmdline = readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').join(' ');
  process.on('SIGINT', () => { writeFileSync(after('-o'), JSON.stringify({ args, pid, cmdline })); process.exit(0); });
  setInterval(() => {}, 1000);
} else if (args[0] === 'script') {
  const { pid, cmdline } = JSON.parse(readFileSync(after('-i'), 'utf8'));
  // Pointed at anything but a gateway started with the perf map flag: say so in the profile.
  if (!/ serve .*--config/.test(cmdline) || !cmdline.includes('--perf-basic-prof-only-functions')) { console.log('node ' + pid + ' 1.000: 1 cpu-clock:\\n\\t 1 WRONG_PROCESS:' + cmdline + ' (/x)\\n'); process.exit(0); }
  const sample = (tid, frames) => 'node ' + tid + ' 1.000: 1001001 cpu-clock:ppp:\\n' + frames.map((f) => '\\t 1234 ' + f + '+0x1 (/usr/bin/node)').join('\\n') + '\\n\\n';
  process.stdout.write(sample(pid, ['Builtins_MapPrototypeSet', 'uv_run']).repeat(3) + sample(Number(pid) + 1, ['v8::internal::Scavenger::ScavengePage', 'start_thread']));
} else process.exit(64);
`;

test('--perf-dir attaches perf to each gateway after its warm-up and writes a flame graph, folded stacks and the top frames', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'bench-suite-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const bin = join(out, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'perf'), `#!${process.execPath}\n${FAKE_PERF}`);
  await chmod(join(bin, 'perf'), 0o755);
  const perfDir = join(out, 'perf');
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
  const run = spawnSync(process.execPath, [RUN, '--quick', '--scenario', 'single', '--phase-seconds', '1', '--out', out, '--perf-dir', perfDir], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000, env });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /perf profile of single-round1: .*single-round1\.svg \(4 samples\)/);
  assert.deepEqual((await readdir(perfDir)).sort(), ['single-round1.folded', 'single-round1.svg', 'single-round1.top.txt']);
  const folded = await readFile(join(perfDir, 'single-round1.folded'), 'utf8');
  assert.equal(folded, 'main thread;uv_run;Builtins_MapPrototypeSet 3\nother threads;start_thread;v8::internal::Scavenger::ScavengePage 1\n');
  assert.match(await readFile(join(perfDir, 'single-round1.top.txt'), 'utf8'), /75\.00%  Builtins_MapPrototypeSet/);
  assert.match(await readFile(join(perfDir, 'single-round1.svg'), 'utf8'), /<title>main thread \(3 samples, 75.00%\)<\/title>/);

  // Without perf on the PATH the run is refused before anything starts.
  const refused = spawnSync(process.execPath, [RUN, '--quick', '--scenario', 'single', '--perf-dir', perfDir], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, PATH: join(out, 'nothing-here') } });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /--perf-dir needs Linux perf on the PATH .*apt-get install -y linux-perf/);
});
