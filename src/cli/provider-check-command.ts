import { parseArgs } from 'node:util';
import { parseDurationMs } from '../config/duration.js';
import { Channel } from '../gen/switchboard/provider/v1/provider.js';
import { formatCheckTable } from '../provider-check/format-check-table.js';
import { PROVIDER_CHECKS, runProviderCheck } from '../provider-check/run-provider-check.js';
import { CliError } from './cli-error.js';
import { clientTlsFromEnvironment } from './client-tls.js';

/** Help text of `switchboard provider-check`. */
export const PROVIDER_CHECK_USAGE = `switchboard provider-check --target HOST:PORT [--channel NAME] [--timeout DURATION] [--window N]
                           [--recipient E164] [--sender NUMBER] [--json]
  Runs the conformance battery against a supplier's ChannelProvider server and prints one
  PASS/FAIL line per check; exits 1 if any check fails. It sends real test messages (about
  2 x window + 40) to --recipient and acks the reports it receives: point it at a test instance.
  Checks: ${PROVIDER_CHECKS.map((c) => c.name).join(', ')}.
  --target     the provider's gRPC address (plaintext; TLS with SWITCHBOARD_TLS_CA, see README)
  --channel    channel of the test messages: sms, lms, mms, alimtalk, friendtalk, push
               (default: the first one the provider lists)
  --timeout    longest wait for any one answer, report or stream end, e.g. 10s (default 10s);
               make it longer than your provider takes to report a delivery
  --window     messages kept in flight when the provider states no max_in_flight (default 500)
  --recipient  a valid recipient for accepted test messages (default +821012345678)
  --sender     the sender number on test messages (default 15880000)
  --json       print the report as JSON instead of a table:
               {target, channel, passed, checks: [{name, summary, passed, detail, durationMs}]}`;

/**
 * Runs \`provider-check\`: parses \`argv\`, runs the battery, prints the table (or JSON) and sets
 * the exit code to 1 when a check failed. Throws a CliError for a bad argument.
 */
export async function runProviderCheckCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      target: { type: 'string' },
      channel: { type: 'string' },
      timeout: { type: 'string' },
      window: { type: 'string' },
      recipient: { type: 'string' },
      sender: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${PROVIDER_CHECK_USAGE}\n`);
    return;
  }
  const tls = clientTlsFromEnvironment();
  const report = await runProviderCheck({
    target: parseTarget(values.target),
    credentials: tls.credentials,
    channelOptions: tls.options,
    channel: parseChannel(values.channel),
    timeoutMs: parseTimeout(values.timeout),
    window: parseWindow(values.window),
    recipient: parseText('--recipient', values.recipient) ?? '+821012345678',
    sender: parseText('--sender', values.sender) ?? '15880000',
  });
  process.stdout.write(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatCheckTable(report));
  if (!report.passed) process.exitCode = 1;
}

function parseTarget(raw: string | undefined): string {
  if (raw === undefined) throw new CliError(`--target HOST:PORT is required\n\n${PROVIDER_CHECK_USAGE}`);
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(raw.trim());
  if (match === null || Number(match[2]) < 1 || Number(match[2]) > 65535) throw new CliError(`--target must be HOST:PORT, e.g. 127.0.0.1:50051, got "${raw}"`);
  return raw.trim();
}

function parseChannel(raw: string | undefined): Channel | undefined {
  if (raw === undefined) return undefined;
  const channel = (Channel as unknown as Record<string, Channel | undefined>)[`CHANNEL_${raw.trim().toUpperCase()}`];
  if (channel === undefined || channel === Channel.CHANNEL_UNSPECIFIED) {
    throw new CliError(`--channel must be one of sms, lms, mms, alimtalk, friendtalk, push, got "${raw}"`);
  }
  return channel;
}

function parseTimeout(raw: string | undefined): number {
  if (raw === undefined) return 10_000;
  const ms = parseDurationMs(raw);
  if (ms === undefined || !(ms >= 100)) throw new CliError(`--timeout must be a duration of at least 100ms, e.g. 10s or 500ms, got "${raw}"`);
  return ms;
}

function parseWindow(raw: string | undefined): number {
  if (raw === undefined) return 500;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 1 || n > 5000) throw new CliError(`--window must be an integer between 1 and 5000, got "${raw}"`);
  return n;
}

function parseText(flag: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.trim() === '') throw new CliError(`${flag} must not be empty`);
  return raw;
}
