#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) in one `node --test` run, so the
// runner prints one summary for the whole suite. Extra arguments filter files by substring:
// `npm test -- sim-provider` runs only the files whose path contains "sim-provider".
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function listTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listTests(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const files = listTests(join(root, 'dist/test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((filter) => f.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// Gateway logs go to stderr; keep the test output to warnings unless asked for more.
const env = { ...process.env, SWITCHBOARD_LOG_LEVEL: process.env.SWITCHBOARD_LOG_LEVEL ?? 'warn' };
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { cwd: root, stdio: 'inherit', env });
process.exit(result.status ?? 1);
