import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { runCli, startCli } from '../helpers/cli-process.js';
import { freePort } from '../helpers/free-port.js';

const CHECKS = ['capabilities', 'acceptance', 'idempotency', 'window', 'invalid-recipient', 'expired', 'reports', 'resend'];

/** `switchboard sim-provider` as a process; returns its address. */
async function startSim(t: TestContext, ...args: string[]): Promise<string> {
  const sim = startCli(t, ['sim-provider', '--id', 'conf', ...args]);
  const [, address] = await sim.waitForLine(/^sim-provider conf listening on (127\.0\.0\.1:\d+)$/m);
  t.after(() => sim.terminate());
  return address as string;
}

test('provider-check passes every check against the simulated provider and exits 0', async (t) => {
  const address = await startSim(t, '--channel', 'sms,lms', '--dlr-delay-ms', '5');

  const { code, stdout, stderr } = await runCli(t, ['provider-check', '--target', address, '--timeout', '2s', '--window', '200']);

  assert.equal(code, 0, `stdout: ${stdout}\nstderr: ${stderr}`);
  const lines = stdout.trim().split('\n');
  assert.equal(lines[0], `provider-check ${address} (channel sms)`);
  assert.deepEqual(
    lines.slice(2, -1).map((line) => line.split(/\s+/).slice(0, 2).join(' ')),
    CHECKS.map((name) => `PASS ${name}`),
  );
  assert.equal(lines.at(-1), 'all 8 checks passed');
  assert.match(stdout, /window 200 \(none stated, --window\) kept full for 400 messages; 400 accepted, none dropped/);
  assert.match(stdout, /invalid-recipient\s+rejected INVALID_NUMBER, permanent/);
});

test('provider-check --json prints one result per check, on the channel asked for', async (t) => {
  const address = await startSim(t, '--channel', 'sms,lms');

  const { code, stdout } = await runCli(t, ['provider-check', '--target', address, '--channel', 'lms', '--timeout', '2s', '--window', '50', '--json']);

  assert.equal(code, 0, stdout);
  const report = JSON.parse(stdout) as { target: string; channel: string; passed: boolean; checks: { name: string; passed: boolean; detail: string }[] };
  assert.equal(report.target, address);
  assert.equal(report.channel, 'lms');
  assert.equal(report.passed, true);
  assert.deepEqual(report.checks.map((c) => [c.name, c.passed]), CHECKS.map((name) => [name, true]));
});

test('provider-check fails the capabilities check when the provider does not carry --channel', async (t) => {
  const address = await startSim(t, '--channel', 'sms');

  const { code, stdout } = await runCli(t, ['provider-check', '--target', address, '--channel', 'alimtalk', '--timeout', '2s', '--window', '20']);

  assert.equal(code, 1, stdout);
  assert.match(stdout, /^FAIL\s+capabilities\s+GetCapabilities does not list the channel under test, alimtalk$/m);
});

test('provider-check against a port nobody listens on fails every check with the reason, quickly', async (t) => {
  const port = await freePort();

  const { code, stdout } = await runCli(t, ['provider-check', '--target', `127.0.0.1:${port}`, '--timeout', '1s']);

  assert.equal(code, 1, stdout);
  for (const name of CHECKS) assert.match(stdout, new RegExp(`^FAIL\\s+${name}\\s+cannot connect to 127\\.0\\.0\\.1:${port}: `, 'm'));
  assert.match(stdout, /^8 of 8 checks failed$/m);
});

test('provider-check refuses bad arguments with exit 2 and a message saying what is wrong', async (t) => {
  const cases: [string[], string][] = [
    [[], '--target HOST:PORT is required'],
    [['--target', 'localhost'], '--target must be HOST:PORT, e.g. 127.0.0.1:50051, got "localhost"'],
    [['--target', '127.0.0.1:1', '--channel', 'fax'], '--channel must be one of sms, lms, mms, alimtalk, friendtalk, push, got "fax"'],
    [['--target', '127.0.0.1:1', '--timeout', 'soon'], '--timeout must be a duration of at least 100ms, e.g. 10s or 500ms, got "soon"'],
    [['--target', '127.0.0.1:1', '--window', '0'], '--window must be an integer between 1 and 5000, got "0"'],
    [['--target', '127.0.0.1:1', '--recipient', ' '], '--recipient must not be empty'],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await runCli(t, ['provider-check', ...args]);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.equal(stderr.split('\n')[0], `switchboard: ${message}`);
  }
});
