import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/cli-process.js';

// scripts/setup.mjs builds incrementally; what tsc's build info cannot see is put right by hand.
test('setup removes compiled files whose TypeScript source is gone (a deleted test would otherwise still run)', () => {
  const stray = join(REPO_ROOT, 'dist/test/unit', `deleted-source-${process.pid}.test.js`);
  writeFileSync(stray, "throw new Error('a compiled test whose source was deleted');\n");
  writeFileSync(`${stray}.map`, '{}');
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/setup.mjs')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(existsSync(stray), false);
  assert.equal(existsSync(`${stray}.map`), false);
  assert.match(run.stderr, /setup: removing dist\/test\/unit\/deleted-source-\d+\.test\.js \(its source is gone\)/);
});
