import { parseArgs } from 'node:util';
import { startSmscSim } from '../channels/smpp-smsc-sim.js';
import { CliError } from './cli-error.js';
import { waitForShutdownSignal } from './wait-for-shutdown-signal.js';

/** Help text of `switchboard smsc-sim`. */
export const SMSC_SIM_USAGE = `switchboard smsc-sim [--listen HOST:PORT] [--system-id ID] [--password PASSWORD]
                     [--answer-delay-ms MS] [--receipt-delay-ms MS] [--early-receipts] [--ledger FILE]
  Runs a simulated SMS carrier SMSC (SMPP 3.4, transceiver binds) until SIGTERM or SIGINT, for
  trying out and testing providers of kind smpp. Destinations ending in 0000 are refused with
  ESME_RINVDSTADR, in 0002 with ESME_RTHROTTLED; those ending in 0001 get an UNDELIV receipt,
  others DELIVRD. A text starting "ECHO " gets a reply from the recipient.
  --listen            where to listen (default 127.0.0.1:0, any free port)
  --system-id, --password   credentials a bind must give (default: any)
  --answer-delay-ms   delay before each submit_sm_resp (default 0)
  --receipt-delay-ms  delay before each delivery receipt (default 0)
  --early-receipts    start the receipt delay on arrival, not once answered: with --answer-delay-ms,
                      receipts come before their submit_sm_resp, as some SMSCs do
  --ledger            append one JSON line per event (bind, submit, message, receipt_acked, ...);
                      on start, receipts the ledger shows unanswered are sent again`;

/**
 * Runs `smsc-sim`: starts the simulator, prints `smsc-sim listening on <host>:<port>`, and
 * resolves once SIGTERM or SIGINT has closed it.
 */
export async function runSmscSimCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      listen: { type: 'string' },
      'system-id': { type: 'string' },
      password: { type: 'string' },
      'answer-delay-ms': { type: 'string' },
      'receipt-delay-ms': { type: 'string' },
      'early-receipts': { type: 'boolean' },
      ledger: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${SMSC_SIM_USAGE}\n`);
    return;
  }
  const listen = values.listen ?? '127.0.0.1:0';
  const match = /^([^\s:]+):(\d{1,5})$/.exec(listen);
  if (match === null || Number(match[2]) > 65535) throw new CliError(`--listen must be HOST:PORT, e.g. 127.0.0.1:2775, got "${listen}"`);
  const answerDelayMs = parseDelay('--answer-delay-ms', values['answer-delay-ms']);
  const receiptDelayMs = parseDelay('--receipt-delay-ms', values['receipt-delay-ms']);
  if (values.ledger === '') throw new CliError('--ledger must not be empty');

  const sim = await startSmscSim({
    host: match[1],
    port: Number(match[2]),
    systemId: values['system-id'],
    password: values.password,
    answerDelayMs,
    receiptDelayMs,
    earlyReceipts: values['early-receipts'],
    ledgerPath: values.ledger,
  });
  // Listen for the signal before saying "listening": whoever reads the line may signal at once.
  const shutdown = waitForShutdownSignal();
  process.stdout.write(`smsc-sim listening on ${sim.address}\n`);
  await shutdown;
  await sim.close();
}

/** `Number()` alone would take '' as 0 and 'Infinity' as a number, so both are refused. */
function parseDelay(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw new CliError(`${flag} must be a number of milliseconds >= 0, got "${raw}"`);
  return n;
}
