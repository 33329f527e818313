#!/usr/bin/env node
// Makes a fresh clone runnable: installs npm dependencies when they are missing or stale, builds
// the TypeScript (incrementally, so it is quick when nothing changed), and with --for-tests makes
// sure redis-server is installed (tests start their own on free loopback ports).
// Runs before `npm start` and `npm test`, so each works as the first command on a new machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const forTests = process.argv.includes('--for-tests');

function run(command, args) {
  console.error(`setup: ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd: root, stdio: 'inherit' });
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

// npm writes node_modules/.package-lock.json on every install: older than package-lock.json means stale.
const installed = join(root, 'node_modules/.package-lock.json');
if (!existsSync(installed) || mtime(installed) < mtime(join(root, 'package-lock.json'))) {
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

// tsc builds incrementally from dist/.tsbuildinfo, which knows nothing of files changed in dist:
// a compiled file deleted by hand would not be written again, and the output of a deleted source
// would stay (and a stale test would still run). Both are put right here.
const SOURCE_DIRS = ['src', 'test', 'bench', 'examples'];
const dist = join(root, 'dist');
const sources = SOURCE_DIRS.flatMap((dir) => filesIn(join(root, dir))).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
if (sources.some((file) => !existsSync(join(dist, relative(root, file)).replace(/\.ts$/, '.js')))) rmSync(join(dist, '.tsbuildinfo'), { force: true });
run(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json']);
for (const file of SOURCE_DIRS.flatMap((dir) => filesIn(join(dist, dir)))) {
  const source = join(root, relative(dist, file)).replace(/\.(js|js\.map|d\.ts|d\.ts\.map)$/, '.ts');
  if (source.endsWith('.ts') && !existsSync(source)) {
    console.error(`setup: removing ${relative(root, file)} (its source is gone)`);
    rmSync(file);
  }
}

if (forTests && spawnSync('redis-server', ['--version']).status !== 0) {
  if (process.getuid?.() !== 0) {
    console.error('setup: redis-server is missing and this is not root; install it (Debian: apt-get install -y redis-server) and run again');
    process.exit(1);
  }
  run('apt-get', ['update']);
  run('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server']);
}

/** Every file below `dir` (none when it does not exist). */
function filesIn(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesIn(join(dir, entry.name)) : [join(dir, entry.name)]));
}
