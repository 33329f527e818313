// Bench: the gRPC provider connector's Submit throughput to one simulated provider (a real
// `switchboard sim-provider` process) over 1, 2 and 4 connections, against a bare grpc-js client
// doing the same windowed Submit stream, in the same run. Loopback only, bounded in count and time.
//
//   npm run bench:connector [-- --messages 50000 --frame 100 --window 1000 --submitters 10]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { credentials } from '@grpc/grpc-js';
import { GrpcProviderConnector } from '../src/channels/grpc-provider-connector.js';
import type { OutboundMessage } from '../src/channels/provider-connector.js';
import type { ProviderSettings } from '../src/config/config.js';
import { Channel, ChannelProviderClient, type ProviderMessage, type ReportBatch, type SubmitResponse } from '../src/gen/switchboard/provider/v1/provider.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '50000' },
    /** Messages per Submit frame (the connector: per submit() batch). */
    frame: { type: 'string', default: '100' },
    /** Unanswered messages allowed per connection (the bare client: on its one stream). */
    window: { type: 'string', default: '1000' },
    /**
     * Concurrent submit() callers, like the dispatcher's loops. The default, window / frame, offers
     * as many messages at once as the bare client keeps in flight: fewer callers measure the callers.
     */
    submitters: { type: 'string', default: '10' },
    'max-seconds': { type: 'string', default: '60' },
  },
});
const MESSAGES = Number(values.messages);
const FRAME = Number(values.frame);
const WINDOW = Number(values.window);
const SUBMITTERS = Number(values.submitters);
const MAX_MS = Number(values['max-seconds']) * 1000;

interface Result {
  readonly client: string;
  readonly msgsPerSec: number;
}

/** Starts `switchboard sim-provider` on a free port and resolves with its address and a stop function. */
async function startSim(): Promise<{ address: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [CLI, 'sim-provider', '--id', 'bench'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'warn' } });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = out.match(/listening on (\S+)/);
      if (match) resolve(match[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`sim-provider exited (${code}) before listening`)));
  });
  return {
    address,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function wireMessage(id: string): ProviderMessage {
  return { messageId: id, channel: Channel.CHANNEL_SMS, recipient: '+821012345678', sender: '15880000', subject: '', body: `bench ${id}`, attributes: {}, expiresAtMs: 0, idempotencyKey: '' };
}

function outbound(id: string): OutboundMessage {
  return { messageId: id, channel: 'sms', recipient: '+821012345678', sender: '15880000', subject: '', body: `bench ${id}`, attributes: {}, expiresAtMs: 0, billableUnits: 1, priority: 'bulk', idempotencyKey: '' };
}

/** A bare grpc-js client: one Submit stream, frames of FRAME, at most WINDOW unanswered, write() back-pressure honoured. */
async function runBare(address: string, prefix: string): Promise<Result> {
  const client = new ChannelProviderClient(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 5000, (e) => (e ? reject(e) : resolve())));
  const call = client.submit();
  // Like the connector: take the delivery reports and ack them, so the provider does the same work for both.
  const reports = client.reports();
  reports.on('data', (batch: ReportBatch) => reports.write({ reportIds: batch.reports.map((r) => r.reportId) }));
  reports.on('error', () => {});
  const started = performance.now();
  let sent = 0;
  let answered = 0;
  let blocked = false;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (!blocked && sent < MESSAGES && sent - answered + FRAME <= WINDOW) {
        const count = Math.min(FRAME, MESSAGES - sent);
        const messages = Array.from({ length: count }, (_, i) => wireMessage(`${prefix}-${sent + i}`));
        sent += count;
        if (!call.write({ messages })) blocked = true;
      }
    };
    call.on('drain', () => {
      blocked = false;
      pump();
    });
    call.on('data', (response: SubmitResponse) => {
      answered += response.results.length;
      if (answered >= MESSAGES) resolve();
      else pump();
    });
    call.on('error', reject);
    setTimeout(() => reject(new Error('bare client: time limit reached')), MAX_MS).unref();
    pump();
  });
  const seconds = (performance.now() - started) / 1000;
  call.end();
  reports.cancel();
  client.close();
  return { client: 'bare grpc-js, 1 stream', msgsPerSec: MESSAGES / seconds };
}

/** The connector with `connections` pooled connections, SUBMITTERS concurrent submit() callers. */
async function runConnector(address: string, connections: number, prefix: string): Promise<Result> {
  const settings: ProviderSettings = {
    id: 'bench',
    kind: 'grpc',
    address,
    channels: ['sms'],
    window: WINDOW,
    connectTimeoutMs: 5000,
    reconnectBackoffMs: 200,
    maxReconnectBackoffMs: 5000,
    connections,
    keepaliveTimeMs: 10_000,
    keepaliveTimeoutMs: 5_000,
    answerTimeoutMs: 30_000,
    tps: 0,
    tls: null,
    urgentReserve: 0.2,
  };
  const connector = new GrpcProviderConnector(settings);
  const signal = new AbortController().signal;
  // The gateway's report ingestor, minus the store: ack every report batch.
  const ingesting = (async () => {
    for await (const batch of connector.reports()) batch.ack();
  })();
  // Wait for every connection, so connect time is not counted.
  const deadline = Date.now() + 5000;
  while (connector.connectionState().connected < connections && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const started = performance.now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: SUBMITTERS }, async () => {
      while (next < MESSAGES && performance.now() - started < MAX_MS) {
        const from = next;
        next = Math.min(MESSAGES, next + FRAME);
        const batch: OutboundMessage[] = [];
        for (let i = from; i < next; i++) batch.push(outbound(`${prefix}-${i}`));
        const outcomes = await connector.submit(batch, signal);
        for (const o of outcomes) if (o.kind !== 'accepted') failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await connector.close();
  await ingesting;
  if (failed > 0) throw new Error(`connector (${connections} connections): ${failed} messages not accepted`);
  return { client: `connector, ${connections} connection${connections > 1 ? 's' : ''}`, msgsPerSec: next / seconds };
}

async function main(): Promise<void> {
  const sim = await startSim();
  const results: Result[] = [];
  try {
    // A short warm-up of both paths (JIT), then bare first and last so drift shows.
    await runBare(sim.address, 'warm-bare');
    await runConnector(sim.address, 1, 'warm-conn');
    results.push(await runBare(sim.address, 'bare-1'));
    for (const connections of [1, 2, 4]) results.push(await runConnector(sim.address, connections, `conn-${connections}`));
    results.push(await runBare(sim.address, 'bare-2'));
  } finally {
    await sim.stop();
  }
  const bare = (results[0]!.msgsPerSec + results.at(-1)!.msgsPerSec) / 2;
  process.stdout.write(`connector throughput: ${MESSAGES} messages, frames of ${FRAME}, window ${WINDOW}, ${SUBMITTERS} submitters, one sim-provider process\n\n`);
  process.stdout.write('| client | msgs/s | vs bare (mean of both bare runs) |\n| --- | --- | --- |\n');
  for (const r of results) process.stdout.write(`| ${r.client} | ${Math.round(r.msgsPerSec).toLocaleString('en-US')} | ${(r.msgsPerSec / bare).toFixed(2)} |\n`);
  const worst = Math.min(...results.filter((r) => r.client.startsWith('connector')).map((r) => r.msgsPerSec / bare));
  process.stdout.write(`\ntarget: every connector row >= 0.70 of bare: ${worst >= 0.7 ? 'met' : 'NOT met'} (lowest ${worst.toFixed(2)})\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
