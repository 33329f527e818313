// `npm run bench:check [-- DIR] [--report-only]`: checks the newest bench/results/<timestamp>/
// (or DIR) against bench/targets.json, prints each target with its measured value, and exits 1
// naming every miss. --report-only prints the same and always exits 0 (CI, noisy machines).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkTargets, type Target } from './lib/check-targets.js';
import { ROOT } from './lib/processes.js';
import type { BenchResults } from './lib/results.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'report-only': { type: 'boolean', default: false }, targets: { type: 'string' } },
});

function newestResultsDir(): string {
  const base = join(ROOT, 'bench/results');
  const dirs = existsSync(base) ? readdirSync(base).filter((d) => existsSync(join(base, d, 'results.json'))).sort() : [];
  const newest = dirs[dirs.length - 1];
  if (newest === undefined) {
    process.stderr.write(`bench:check: no results in ${base}; run \`npm run bench\` first or give a results directory\n`);
    process.exit(2);
  }
  return join(base, newest);
}

const dir = positionals[0] === undefined ? newestResultsDir() : resolve(positionals[0]);
const resultsPath = join(dir, 'results.json');
if (!existsSync(resultsPath)) {
  process.stderr.write(`bench:check: ${resultsPath} does not exist\n`);
  process.exit(2);
}
const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as BenchResults;
const targetsPath = resolve(values.targets ?? join(ROOT, 'bench/targets.json'));
const { targets } = JSON.parse(readFileSync(targetsPath, 'utf8')) as { targets: Target[] };

const outcomes = checkTargets(targets, results.metrics, results.quick, results.rounds?.map((round) => round.metrics));
process.stdout.write(`targets of ${targetsPath}\nagainst ${resultsPath} (${results.quick ? 'quick run' : 'full run'}${results.rounds !== undefined && results.rounds.length > 1 ? `, ${results.rounds.length} rounds` : ''}, ${results.machine.cpus} CPUs, load ${results.machine.loadAverage.map((l) => l.toFixed(1)).join(' ')})\n\n`);
for (const outcome of outcomes) process.stdout.write(`${outcome.line}\n`);
const misses = outcomes.filter((o) => o.status === 'missed' || o.status === 'not measured');
if (misses.length === 0) {
  process.stdout.write(`\nall ${outcomes.length} targets met\n`);
} else {
  process.stdout.write(`\n${misses.length} of ${outcomes.length} targets not met: ${misses.map((m) => m.target.name).join('; ')}\n`);
  if (values['report-only']) process.stdout.write('(--report-only: not failing)\n');
  else process.exitCode = 1;
}
