#!/usr/bin/env node
// Regenerates src/gen/ from proto/ with buf + ts-proto (see buf.gen.yaml).
// With --check, generates into a temporary folder and fails if src/gen/ differs,
// so CI catches a proto change whose generated code was not committed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const buf = join(root, 'node_modules/.bin/buf');
const check = process.argv.includes('--check');

function listFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

execFileSync(buf, ['lint'], { cwd: root, stdio: 'inherit' });
if (!check) {
  rmSync(join(root, 'src/gen'), { recursive: true, force: true });
  execFileSync(buf, ['generate'], { cwd: root, stdio: 'inherit' });
  process.exit(0);
}

const out = mkdtempSync(join(tmpdir(), 'switchboard-gen-'));
try {
  execFileSync(buf, ['generate', '-o', out], { cwd: root, stdio: 'inherit' });
  const fresh = join(out, 'src/gen');
  const committed = join(root, 'src/gen');
  const a = listFiles(fresh).map((f) => relative(fresh, f)).sort();
  const b = listFiles(committed).map((f) => relative(committed, f)).sort();
  const stale = [...new Set([...a, ...b])].filter(
    (f) => !a.includes(f) || !b.includes(f) || readFileSync(join(fresh, f), 'utf8') !== readFileSync(join(committed, f), 'utf8'),
  );
  if (stale.length > 0) {
    console.error(`src/gen/ is not what proto/ generates; run \`npm run proto\` and commit. Differs: ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log('src/gen/ is up to date with proto/');
} finally {
  rmSync(out, { recursive: true, force: true });
}
