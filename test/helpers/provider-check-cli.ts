import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { runCli } from './cli-process.js';

/** One run of `switchboard provider-check`: exit code, stdout and each check's table line. */
export interface ProviderCheckRun {
  readonly code: number | string;
  readonly stdout: string;
  readonly lines: ReadonlyMap<string, { passed: boolean; detail: string }>;
}

/** Runs provider-check as a process against `address` with a short timeout and window, and parses its table. */
export async function runProviderCheckCli(t: TestContext, address: string, ...args: string[]): Promise<ProviderCheckRun> {
  const { code, stdout } = await runCli(t, ['provider-check', '--target', address, '--timeout', '1s', '--window', '50', ...args]);
  const lines = new Map<string, { passed: boolean; detail: string }>();
  for (const line of stdout.split('\n')) {
    const match = /^(PASS|FAIL)\s+(\S+)\s+(.*)$/.exec(line);
    if (match !== null) lines.set(match[2] as string, { passed: match[1] === 'PASS', detail: match[3] as string });
  }
  return { code, lines, stdout };
}

/** Asserts exit 1 and that the failed checks are exactly `failed`, the first with a detail matching `reason`. */
export function assertFails(run: ProviderCheckRun, failed: string[], reason: RegExp): void {
  assert.equal(run.code, 1, run.stdout);
  assert.equal(run.lines.size, 8, run.stdout);
  assert.deepEqual([...run.lines].filter(([, l]) => !l.passed).map(([name]) => name), failed, run.stdout);
  assert.match(run.lines.get(failed[0] as string)?.detail ?? '', reason, run.stdout);
}
