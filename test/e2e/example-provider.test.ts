import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/cli-process.js';
import { runProviderCheckCli } from '../helpers/provider-check-cli.js';
import { waitFor } from '../helpers/wait-for.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/provider/sms-provider.js', import.meta.url));

test('the example provider (examples/provider) passes provider-check, and stops on SIGTERM', async (t) => {
  const child = spawn(process.execPath, [EXAMPLE, '--port', '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = once(child, 'close');
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await waitFor(() => /listening on /.test(out) || child.exitCode !== null, 10_000, `the example to listen (stderr: ${err})`);
  const address = /^example provider listening on (127\.0\.0\.1:\d+)$/m.exec(out)?.[1];
  assert.ok(address, `stdout: ${out}\nstderr: ${err}`);

  const run = await runProviderCheckCli(t, address, '--timeout', '2s');

  assert.equal(run.code, 0, run.stdout);
  assert.equal(run.lines.size, 8, run.stdout);
  assert.ok([...run.lines.values()].every((line) => line.passed), run.stdout);
  assert.match(run.lines.get('window')?.detail ?? '', /^window 500 kept full for 1000 messages, 50 beyond it; \d+ accepted, none dropped$/);

  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0, `stderr: ${err}`);
});
