import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { emptyMessage, runLoad, type LoadResult } from '../loadgen/load-generator.js';
import { CliError } from './cli-error.js';
import { clientTlsFromEnvironment } from './client-tls.js';
import { DEMO_API_KEY } from './gateway-client.js';

export const BENCH_USAGE = `switchboard bench --target HOST:PORT [--api-key KEY] [--concurrency N] [--batch-size N] [--rate N]
                  [--duration SECONDS] [--unary] [--priority urgent|normal|bulk] [--to NUMBER]
                  [--client-refs] (--template ID [--var NAME=VALUE ...] | --body TEXT)
  Drives a running gateway (any host) with SendStream frames (or unary Send with --unary) and prints
  accepted and rejected counts, msgs/s and ack latency p50/p90/p99/p99.9/max. --rate N sends N msgs/s
  open-loop and measures each frame from its scheduled send time; without it (or 0) it sends as fast
  as flow control allows. --client-refs gives every message its own client_ref
  (bench-<run>-<stream>-<n>), as clients that resend safely do; without it no message has one.
  Defaults: 4 streams, 100 per frame, 10 s, body "switchboard bench", recipient 01012345678.
  --api-key defaults to $SWITCHBOARD_API_KEY or the demo key.`;

export async function runBenchCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      target: { type: 'string' },
      'api-key': { type: 'string' },
      concurrency: { type: 'string' },
      'batch-size': { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      unary: { type: 'boolean' },
      priority: { type: 'string' },
      to: { type: 'string' },
      template: { type: 'string' },
      var: { type: 'string', multiple: true },
      body: { type: 'string' },
      'client-refs': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return;
  }
  if (values.target === undefined) throw new CliError(`--target is required\n${BENCH_USAGE}`);
  if (values.template !== undefined && values.body !== undefined) throw new CliError(`give either --template or --body, not both\n${BENCH_USAGE}`);
  const concurrency = parseCount('--concurrency', values.concurrency, 4, 1);
  const batchSize = parseCount('--batch-size', values['batch-size'], 100, 1);
  const rate = parseCount('--rate', values.rate, 0, 0);
  const durationS = Number(values.duration ?? '10');
  if (!Number.isFinite(durationS) || durationS <= 0) throw new CliError(`--duration must be a number of seconds > 0, got "${values.duration}"`);
  const priorities: Record<string, number> = { urgent: 1, normal: 2, bulk: 3 };
  const priority = values.priority === undefined ? 0 : priorities[values.priority];
  if (priority === undefined) throw new CliError(`--priority must be one of urgent, normal, bulk, got "${values.priority}"`);
  const variables: Record<string, string> = {};
  for (const pair of values.var ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--var must look like NAME=VALUE, got "${pair}"`);
    variables[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const message = emptyMessage({
    recipient: values.to ?? '01012345678',
    templateId: values.template ?? '',
    variables,
    content: values.template === undefined ? { body: values.body ?? 'switchboard bench', subject: '' } : undefined,
    priority,
  });
  const mode = values.unary === true ? 'unary' : 'stream';
  process.stderr.write(`bench ${values.target}: ${mode === 'unary' ? 'unary Send' : `SendStream, ${batchSize} per frame`}, ${concurrency} ${mode === 'unary' ? 'callers' : 'streams'}, ${rate > 0 ? `${rate} msgs/s open-loop` : 'closed loop'}, ${durationS} s${values['client-refs'] === true ? ', a client_ref each' : ''}\n`);
  let errors = 0;
  const tls = clientTlsFromEnvironment();
  const result = await runLoad({
    target: values.target,
    credentials: tls.credentials,
    channelOptions: tls.options,
    apiKey: values['api-key'] ?? process.env['SWITCHBOARD_API_KEY'] ?? DEMO_API_KEY,
    mode,
    concurrency,
    batchSize,
    ratePerSec: rate,
    durationMs: durationS * 1000,
    message,
    // Unique per run too: a second run against the same gateway is not answered as duplicates.
    clientRefPrefix: values['client-refs'] === true ? `bench-${randomBytes(6).toString('hex')}-` : undefined,
    onSample: (sample) => {
      errors += sample.errors;
      process.stderr.write(`  ${sample.t.toFixed(0)}s  accepted ${sample.acceptedPerSec}/s  rejected ${sample.rejectedPerSec}/s  ack p50 ${sample.ackP50Ms} ms  p99 ${sample.ackP99Ms} ms  errors ${errors}\n`);
    },
  }).catch((error: unknown) => {
    throw new CliError((error as Error).message);
  });
  process.stdout.write(formatResult(result));
  // Nothing accepted at all means the target refused the load: say so in the exit status.
  if (result.accepted === 0) process.exitCode = 1;
}

function parseCount(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min) throw new CliError(`${flag} must be a whole number >= ${min}, got "${raw}"`);
  return n;
}

export function formatResult(result: LoadResult): string {
  const ack = result.ack.summary();
  const lines = [
    `sent ${result.sent}`,
    `accepted ${result.accepted}`,
    `rejected ${result.rejected}${Object.keys(result.rejectReasons).length > 0 ? ` (${Object.entries(result.rejectReasons).map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}`,
    `errors ${result.errors}${result.errorMessages.length > 0 ? ` (${result.errorMessages.join('; ')})` : ''}`,
    `elapsed ${(result.elapsedMs / 1000).toFixed(1)} s`,
    `accepted msgs/s ${result.acceptedPerSec}`,
    `ack latency ms p50 ${ack.p50} p90 ${ack.p90} p99 ${ack.p99} p99.9 ${ack.p999} max ${ack.max}`,
  ];
  return `${lines.join('\n')}\n`;
}
