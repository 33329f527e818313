import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gcPacingApplies, growingPercentFor, HEAP_BUDGET_MB, startGcPacing } from '../../src/cli/gc-pacing.js';
import type { Config } from '../../src/config/config.js';
import { parseConfig } from '../../src/config/parse-config.js';
import { rawTestConfig } from '../helpers/test-config.js';

function configWith(store: Record<string, unknown>): Config {
  const parsed = parseConfig({ ...rawTestConfig({ sms: ['127.0.0.1:1'] }), store });
  assert.ok(parsed.ok);
  return parsed.config;
}

test('serve paces V8 GC with the memory store, unless the operator set the flag; not with Redis', () => {
  const memory = configWith({ kind: 'memory' });
  assert.equal(gcPacingApplies(memory, []), true);
  assert.equal(gcPacingApplies(memory, ['--enable-source-maps', '--heap_growing_percent=20']), false);
  assert.equal(gcPacingApplies(memory, ['--heap-growing-percent=80']), false);
  assert.equal(gcPacingApplies(configWith({ kind: 'redis' }), []), false);
});

test("the growth step is V8's own while its 4x step fits the budget, smaller past that, never below 20%", () => {
  assert.equal(growingPercentFor(10), 0);
  assert.equal(growingPercentFor(HEAP_BUDGET_MB / 4), 0);
  assert.equal(growingPercentFor(96, 192), 100); // the next major GC at 192 MB
  assert.equal(growingPercentFor(110, 192), 74);
  assert.equal(growingPercentFor(180, 192), 20);
  assert.equal(growingPercentFor(400, 192), 20);
});

test('the pacer sets the step from the heap in use at the start and after each major GC', async (t) => {
  const flags: string[] = [];
  let inUseMb = 100;
  const stop = startGcPacing(192, (flag) => flags.push(flag), () => inUseMb);
  t.after(stop);
  assert.deepEqual(flags, ['--heap-growing-percent=92'], 'set at the start, before any GC');
  inUseMb = 180;
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  for (let i = 0; i < 50 && flags.length === 1; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(flags, ['--heap-growing-percent=92', '--heap-growing-percent=20'], 'set again after the major GC');
  inUseMb = 10;
  (runInNewContext('gc') as () => void)();
  for (let i = 0; i < 50 && flags.length === 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(flags.at(-1), '--heap-growing-percent=0', "back to V8's own step once the live data is small again");
});
