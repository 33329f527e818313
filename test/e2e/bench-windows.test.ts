import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/cli-process.js';

const WINDOWS = fileURLToPath(new URL('../../bench/key-windows.js', import.meta.url));

// The plumbing of `npm run bench:windows` on a small window (no performance assertions): three
// rows, each run in its own process, with figures; and a bad option named.
test('npm run bench:windows prints a row per run, the Map baseline before and after the SetOrderMap', () => {
  const run = spawnSync(process.execPath, [WINDOWS, '--window', '2000', '--sets', '10000', '--batch', '500'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^window of 2,000 keys, 10,000 sets in batches of 500$/m);
  const rows = [...run.stdout.matchAll(/^\| (Map|SetOrderMap) \| ([\d,]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| (\d+) \|$/gm)];
  assert.deepEqual(rows.map((r) => r[1]), ['Map', 'SetOrderMap', 'Map']);
  for (const row of rows) assert.ok(Number(row[2]!.replace(/,/g, '')) > 0, row[0]);
  // The ratios are to the mean of the two Map runs.
  assert.ok(Math.abs(Number(rows[0]![3]) + Number(rows[2]![3]) - 2) <= 0.011, run.stdout);
});

test('npm run bench:windows refuses a window that is not a whole number > 0, naming it', () => {
  const run = spawnSync(process.execPath, [WINDOWS, '--window', '0'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--window must be a whole number > 0, got "0"/);
});
