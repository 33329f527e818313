import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../../src/cli/cli-error.js';
import { runSmscSimCommand } from '../../src/cli/smsc-sim-command.js';

/** Each bad argument list and the CliError message it must give, before anything is started. */
const BAD_ARGUMENTS: [string[], string][] = [
  [['--listen', '2775'], '--listen must be HOST:PORT, e.g. 127.0.0.1:2775, got "2775"'],
  [['--listen', '127.0.0.1:70000'], '--listen must be HOST:PORT, e.g. 127.0.0.1:2775, got "127.0.0.1:70000"'],
  [['--receipt-delay-ms=-1'], '--receipt-delay-ms must be a number of milliseconds >= 0, got "-1"'],
  [['--answer-delay-ms', 'soon'], '--answer-delay-ms must be a number of milliseconds >= 0, got "soon"'],
  [['--answer-delay-ms', ''], '--answer-delay-ms must be a number of milliseconds >= 0, got ""'],
  [['--ledger', ''], '--ledger must not be empty'],
];

/** What runSmscSimCommand(argv) throws; a sim started by mistake is stopped as SIGTERM would stop it. */
async function refusalOf(argv: string[]): Promise<unknown> {
  const run = runSmscSimCommand(argv).then(
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

test('smsc-sim: each bad argument is refused with a CliError naming the flag and the value', async () => {
  for (const [argv, message] of BAD_ARGUMENTS) {
    const error = await refusalOf(argv);
    assert.ok(error instanceof CliError, `${argv.join(' ')}: ${String(error)}`);
    assert.equal(error.message, message);
  }
});
