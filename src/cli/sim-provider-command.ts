import { parseArgs } from 'node:util';
import { toProviderChannel } from '../channels/provider-channel.js';
import { startSimProvider, type SimProviderOptions } from '../channels/sim-provider.js';
import { CHANNELS, isChannelName } from '../domain/channel.js';
import type { Channel } from '../gen/switchboard/provider/v1/provider.js';
import { CliError } from './cli-error.js';
import { waitForShutdownSignal } from './wait-for-shutdown-signal.js';

/** Help text of `switchboard sim-provider`. */
export const SIM_PROVIDER_USAGE = `switchboard sim-provider [--id ID] [--channel LIST ...] [--host HOST] [--port PORT]
                         [--latency-ms MS] [--reject-rate RATE] [--reject-code CODE] [--reject-retryable]
                         [--dlr-delay-ms MS] [--dlr-fail-rate RATE] [--seed N] [--ledger FILE] [--max-tps N]
                         [--max-connection-age-ms MS] [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]
  Runs a simulated channel supplier (the ChannelProvider gRPC API) until SIGTERM or SIGINT.
  Recipients that are not E.164 or end in 0000 are always rejected (INVALID_NUMBER); recipients
  ending in 0001 are accepted and then fail delivery (UNREACHABLE). On KakaoTalk channels, 0002
  fails delivery (NO_KAKAOTALK, reported twice); on FriendTalk 0003 is rejected (NOT_FRIEND); on
  AlimTalk 0004 is rejected (TEMPLATE_MISMATCH): for trying fallback chains. SIGUSR2 prints the
  counters (received, accepted, reports pending, unacked, acked, dropped) as one "stats" JSON line.
  --id               name in provider refs and report ids (default sim)
  --channel          channels carried, repeatable or comma-separated: ${CHANNELS.join(',')} (default sms)
  --host, --port     where to listen (default 127.0.0.1, port 0 = any free port)
  --latency-ms       delay before answering each Submit batch (default 0)
  --reject-rate      share of messages rejected, 0..1, with --reject-code (default SIM_REJECTED),
                     permanent unless --reject-retryable
  --dlr-delay-ms     delay before each delivery report (default 0)
  --dlr-fail-rate    share of delivery reports that fail with SIM_UNDELIVERABLE, 0..1 (default 0)
  --seed             makes rejects and failures repeatable
  --ledger           append one line per received message: time, id, recipient, channel, new|dup,
                     idempotency key (empty without a client_ref)
  --max-tps          max TPS stated in capabilities (default 0, no limit)
  --max-connection-age-ms  send each connection a graceful GOAWAY after this age (5 s grace; default never)
  --tls-cert, --tls-key    serve TLS with this certificate chain and key (PEM); default plaintext
  --tls-client-ca    with TLS: gateways must present a client certificate this CA signed (mutual TLS)`;

/**
 * Runs `sim-provider`: parses `argv` (the arguments after the command name), starts
 * the sim, prints `sim-provider <id> listening on <host>:<port>`, and resolves once a
 * SIGTERM or SIGINT has closed it (the ledger flushed). Throws a CliError with a
 * printable message for a bad argument.
 */
export async function runSimProviderCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      id: { type: 'string' },
      channel: { type: 'string', multiple: true },
      host: { type: 'string' },
      port: { type: 'string' },
      'latency-ms': { type: 'string' },
      'reject-rate': { type: 'string' },
      'reject-code': { type: 'string' },
      'reject-retryable': { type: 'boolean' },
      'dlr-delay-ms': { type: 'string' },
      'dlr-fail-rate': { type: 'string' },
      seed: { type: 'string' },
      ledger: { type: 'string' },
      'max-tps': { type: 'string' },
      'max-connection-age-ms': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-client-ca': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${SIM_PROVIDER_USAGE}\n`);
    return;
  }

  const tlsCert = parseText('--tls-cert', values['tls-cert']);
  const tlsKey = parseText('--tls-key', values['tls-key']);
  const tlsClientCa = parseText('--tls-client-ca', values['tls-client-ca']);
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new CliError('--tls-cert and --tls-key go together: give both to serve TLS, or neither');
  if (tlsClientCa !== undefined && tlsCert === undefined) throw new CliError('--tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first');
  const options: SimProviderOptions = {
    tls: tlsCert === undefined || tlsKey === undefined ? undefined : { certFile: tlsCert, keyFile: tlsKey, clientCaFile: tlsClientCa },
    id: parseText('--id', values.id),
    channels: parseChannels(values.channel),
    host: parseText('--host', values.host),
    port: parseNumber('--port', values.port, 'an integer between 0 and 65535', (n) => Number.isInteger(n) && n >= 0 && n <= 65535),
    latencyMs: parseNumber('--latency-ms', values['latency-ms'], 'a number of milliseconds >= 0', (n) => n >= 0),
    rejectRate: parseNumber('--reject-rate', values['reject-rate'], 'a number between 0 and 1', isRate),
    rejectCode: parseText('--reject-code', values['reject-code']),
    rejectRetryable: values['reject-retryable'],
    dlrDelayMs: parseNumber('--dlr-delay-ms', values['dlr-delay-ms'], 'a number of milliseconds >= 0', (n) => n >= 0),
    dlrFailRate: parseNumber('--dlr-fail-rate', values['dlr-fail-rate'], 'a number between 0 and 1', isRate),
    seed: parseNumber('--seed', values.seed, 'an integer', Number.isSafeInteger),
    ledgerPath: parseText('--ledger', values.ledger),
    maxConnectionAgeMs: parseNumber('--max-connection-age-ms', values['max-connection-age-ms'], 'a number of milliseconds >= 1', (n) => Number.isInteger(n) && n >= 1),
    maxTps: parseNumber('--max-tps', values['max-tps'], 'an integer between 0 and 4294967295', (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff),
  };

  const sim = await startSimProvider(options);
  // Listen for the signal before saying "listening": whoever reads the line may signal at once.
  const shutdown = waitForShutdownSignal();
  // For fault tests that check from outside that every report was acked.
  const printStats = (): void => {
    process.stdout.write(`sim-provider ${options.id ?? 'sim'} stats ${JSON.stringify(sim.stats())}\n`);
  };
  process.on('SIGUSR2', printStats);
  process.stdout.write(`sim-provider ${options.id ?? 'sim'} listening on ${sim.address}\n`);
  await shutdown;
  process.off('SIGUSR2', printStats);
  await sim.close();
}

function isRate(n: number): boolean {
  return n >= 0 && n <= 1;
}

function parseText(flag: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.trim() === '') throw new CliError(`${flag} must not be empty`);
  return raw;
}

/** `Number()` alone would take '' as 0 and 'Infinity' as a number, so both are refused first. */
function parseNumber(flag: string, raw: string | undefined, expected: string, valid: (n: number) => boolean): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !valid(n)) throw new CliError(`${flag} must be ${expected}, got "${raw}"`);
  return n;
}

function parseChannels(raw: string[] | undefined): Channel[] | undefined {
  if (raw === undefined) return undefined;
  const channels: Channel[] = [];
  for (const name of raw.flatMap((item) => item.split(','))) {
    const trimmed = name.trim().toLowerCase();
    if (!isChannelName(trimmed)) throw new CliError(`--channel must be one of ${CHANNELS.join(', ')}, got "${name}"`);
    const channel = toProviderChannel(trimmed);
    if (!channels.includes(channel)) channels.push(channel);
  }
  return channels;
}
