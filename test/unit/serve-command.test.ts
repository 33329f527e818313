import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gcPacingFlag } from '../../src/cli/serve-command.js';
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
  assert.equal(gcPacingFlag(memory, []), '--heap-growing-percent=50');
  assert.equal(gcPacingFlag(memory, ['--enable-source-maps', '--heap_growing_percent=20']), undefined);
  assert.equal(gcPacingFlag(memory, ['--heap-growing-percent=80']), undefined);
  assert.equal(gcPacingFlag(configWith({ kind: 'redis' }), []), undefined);
});
