import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CliError } from '../../src/cli/cli-error.js';
import { runSimProviderCommand, SIM_PROVIDER_USAGE } from '../../src/cli/sim-provider-command.js';
import { runCli, startCli } from '../helpers/cli-process.js';
import { freePort } from '../helpers/free-port.js';

const CHANNEL_LIST = 'sms, lms, mms, alimtalk, friendtalk, push';

/** Each bad argument list and the CliError message it must give, before anything is started. */
const BAD_ARGUMENTS: [string[], string][] = [
  [['--port', '70000'], '--port must be an integer between 0 and 65535, got "70000"'],
  [['--port=-1'], '--port must be an integer between 0 and 65535, got "-1"'],
  [['--port', '80.5'], '--port must be an integer between 0 and 65535, got "80.5"'],
  [['--port', 'http'], '--port must be an integer between 0 and 65535, got "http"'],
  [['--port', ''], '--port must be an integer between 0 and 65535, got ""'],
  [['--latency-ms=-5'], '--latency-ms must be a number of milliseconds >= 0, got "-5"'],
  [['--latency-ms', 'Infinity'], '--latency-ms must be a number of milliseconds >= 0, got "Infinity"'],
  [['--dlr-delay-ms', 'soon'], '--dlr-delay-ms must be a number of milliseconds >= 0, got "soon"'],
  [['--reject-rate', '1.5'], '--reject-rate must be a number between 0 and 1, got "1.5"'],
  [['--reject-rate', ' '], '--reject-rate must be a number between 0 and 1, got " "'],
  [['--dlr-fail-rate=-0.1'], '--dlr-fail-rate must be a number between 0 and 1, got "-0.1"'],
  [['--dlr-fail-rate', 'NaN'], '--dlr-fail-rate must be a number between 0 and 1, got "NaN"'],
  [['--seed', '1.5'], '--seed must be an integer, got "1.5"'],
  [['--seed', '9007199254740993'], '--seed must be an integer, got "9007199254740993"'],
  [['--max-tps', '4294967296'], '--max-tps must be an integer between 0 and 4294967295, got "4294967296"'],
  [['--max-tps', '10.5'], '--max-tps must be an integer between 0 and 4294967295, got "10.5"'],
  [['--max-connection-age-ms', '0'], '--max-connection-age-ms must be a number of milliseconds >= 1, got "0"'],
  [['--channel', 'fax'], `--channel must be one of ${CHANNEL_LIST}, got "fax"`],
  [['--channel', 'sms', '--channel', 'lms,kakao'], `--channel must be one of ${CHANNEL_LIST}, got "kakao"`],
  [['--channel', 'sms,'], `--channel must be one of ${CHANNEL_LIST}, got ""`],
  [['--id', ''], '--id must not be empty'],
  [['--id', '   '], '--id must not be empty'],
  [['--host', ''], '--host must not be empty'],
  [['--reject-code', ''], '--reject-code must not be empty'],
  [['--ledger', ''], '--ledger must not be empty'],
];

/**
 * What runSimProviderCommand(argv) throws. Should a bad argument ever get through, the command
 * would start a sim and wait for a signal: the sim is then stopped the way SIGTERM stops it, and
 * the call counts as not refused instead of hanging the suite.
 */
async function refusalOf(argv: string[]): Promise<unknown> {
  const run = runSimProviderCommand(argv).then(
    () => new Error(`${argv.join(' ')} was not refused`),
    (error: unknown) => error,
  );
  const timer = setTimeout(() => process.emit('SIGTERM', 'SIGTERM'), 5_000);
  try {
    return await run;
  } finally {
    clearTimeout(timer);
  }
}

test('sim-provider: each bad argument is refused with a CliError naming the flag and the value', async () => {
  for (const [argv, message] of BAD_ARGUMENTS) {
    const error = await refusalOf(argv);
    assert.ok(error instanceof CliError, `${argv.join(' ')}: ${String(error)}`);
    assert.equal(error.message, message);
  }
});

test('sim-provider: unknown options and positional arguments are refused by the parser', async () => {
  const codeOf = async (argv: string[]): Promise<unknown> => ((await refusalOf(argv)) as { code?: unknown }).code;
  assert.equal(await codeOf(['--bogus']), 'ERR_PARSE_ARGS_UNKNOWN_OPTION');
  assert.equal(await codeOf(['extra']), 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL');
  assert.equal(await codeOf(['--port']), 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE');
  // A negative number must be given as --flag=value; on its own it reads as an option.
  assert.equal(await codeOf(['--port', '-1']), 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE');
});

test('sim-provider as a process: a bad argument exits 2 with the message on stderr', async (t) => {
  const bad = await runCli(t, ['sim-provider', '--reject-rate', '2']);
  assert.deepEqual([bad.code, bad.stdout, bad.stderr], [2, '', 'switchboard: --reject-rate must be a number between 0 and 1, got "2"\n']);
  const unknown = await runCli(t, ['sim-provider', '--bogus']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^switchboard: Unknown option '--bogus'/);
});

test('sim-provider as a process: --help prints the usage and exits 0', async (t) => {
  const help = await runCli(t, ['sim-provider', '--help']);
  assert.deepEqual([help.code, help.stdout, help.stderr], [0, `${SIM_PROVIDER_USAGE}\n`, '']);
});

test('sim-provider as a process: listens where asked, says so, and exits 0 on SIGTERM', async (t) => {
  const port = await freePort();
  const sim = startCli(t, ['sim-provider', '--id', 'kt', '--channel', 'sms,alimtalk', '--port', String(port), '--seed', '7', '--reject-rate', '0.5']);
  await sim.waitForLine(new RegExp(`^sim-provider kt listening on 127\\.0\\.0\\.1:${port}$`, 'm'));
  assert.equal(await sim.terminate(), 0, sim.stderr());
});

test('sim-provider as a process: a ledger that cannot be opened fails the start, not the end of the run', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sim-provider-command-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'missing-dir', 'sim.ledger');
  const sim = await runCli(t, ['sim-provider', '--ledger', path]);
  assert.equal(sim.code, 1);
  assert.equal(sim.stdout, '', 'it never says it is listening');
  assert.match(sim.stderr, new RegExp(`^switchboard: Error: cannot open ledger ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`));
});
