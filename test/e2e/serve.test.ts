import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { Channel, type AckBatch, type Message, type Report, type SendBatch } from '../../src/gen/switchboard/v1/gateway.js';
import { runCli, startCli, type CliProcess } from '../helpers/cli-process.js';
import { freePort } from '../helpers/free-port.js';
import { GatewayTestClient, makeMessage } from '../helpers/gateway-calls.js';
import { readLedger, type LedgerRow } from '../helpers/ledger.js';
import { waitFor } from '../helpers/wait-for.js';

const API_KEY = 'serve-e2e-api-key-0001';
const TOTAL = 2_000;
const FRAME = 100;

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'serve-e2e-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** `switchboard sim-provider` as a process, listening; returns it and its address. */
async function startSimProcess(t: TestContext, id: string, ledgerPath: string): Promise<{ sim: CliProcess; address: string }> {
  const sim = startCli(t, ['sim-provider', '--id', id, '--channel', 'sms,lms', '--ledger', ledgerPath, '--dlr-delay-ms', '5']);
  const [, address] = await sim.waitForLine(new RegExp(`^sim-provider ${id} listening on (127\\.0\\.0\\.1:\\d+)$`, 'm'));
  return { sim, address: address as string };
}

function gatewayConfig(simA: string, simB: string): string {
  return `# written by test/e2e/serve.test.ts
server:
  listen: 127.0.0.1:0
  shutdownGrace: 5s
store:
  kind: memory
router:
  workers: 1
tenants:
  - id: bank
    apiKeys: [${API_KEY}]
    senderNumbers: ["15880000"]
providers:
  - id: sim-a
    kind: grpc
    address: ${simA}
    channels: [sms, lms]
  - id: sim-b
    kind: grpc
    address: ${simB}
    channels: [sms, lms]
routing:
  defaultChannel: sms
  channels:
    sms: [sim-a, sim-b]
    lms: [sim-b, sim-a]
templates:
  - id: otp
    variables: [code]
    body: "[Switchboard] {{code}}"
`;
}

test(`serve: ${TOTAL} streamed messages reach the sim-provider processes exactly once each; SIGTERM exits 0`, async (t) => {
  const dir = await tempDir(t);
  const ledgers = [join(dir, 'sim-a.ledger'), join(dir, 'sim-b.ledger')];
  const [a, b] = [await startSimProcess(t, 'sim-a', ledgers[0] as string), await startSimProcess(t, 'sim-b', ledgers[1] as string)];
  const configPath = join(dir, 'gateway.yaml');
  await writeFile(configPath, gatewayConfig(a.address, b.address));
  const serve = startCli(t, ['serve', '--config', configPath]);
  const [, address] = await serve.waitForLine(/^switchboard gateway listening on (127\.0\.0\.1:\d+) \(store: memory\)$/m);

  const client = new GatewayTestClient(address as string, API_KEY);
  t.after(() => client.close());
  // Alternate channels so both providers get traffic: SMS goes to sim-a first, LMS to sim-b.
  const frames: SendBatch[] = [];
  const channelOf = new Map<string, string>();
  for (let start = 0; start < TOTAL; start += FRAME) {
    const messages: Message[] = [];
    for (let i = start; i < start + FRAME; i++) {
      messages.push(makeMessage({ templateId: 'otp', variables: { code: String(i) }, clientRef: `e2e-${i}`, channel: i % 2 === 0 ? Channel.CHANNEL_SMS : Channel.CHANNEL_LMS }));
    }
    frames.push({ batchId: frames.length + 1, messages });
  }
  const answers = await client.sendStream(frames, 4);
  const acks = answers.flatMap((answer) => answer.acks);
  assert.equal(acks.length, TOTAL);
  assert.deepEqual(acks.filter((ack) => !ack.accepted), []);
  acks.forEach((ack, i) => channelOf.set(ack.messageId, i % 2 === 0 ? 'sms' : 'lms'));

  const allRows = async (): Promise<LedgerRow[]> => (await Promise.all(ledgers.map(readLedger))).flat();
  await waitFor(async () => new Set((await allRows()).map((row) => row.messageId)).size >= TOTAL, 30_000, 'every message in a ledger');

  assert.equal(await serve.terminate(), 0, `serve stderr: ${serve.stderr()}`);
  // Stopping the sims flushes their ledgers; then nothing more can arrive.
  assert.equal(await a.sim.terminate(), 0, `sim-a stderr: ${a.sim.stderr()}`);
  assert.equal(await b.sim.terminate(), 0, `sim-b stderr: ${b.sim.stderr()}`);

  const rows = await allRows();
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.messageId, (counts.get(row.messageId) ?? 0) + 1);
  assert.deepEqual([...counts].filter(([, n]) => n !== 1), [], 'no message id twice');
  assert.deepEqual([...counts.keys()].filter((id) => !channelOf.has(id)), [], 'no id that was not accepted');
  assert.equal(counts.size, TOTAL, 'no accepted id missing');
  for (const row of rows) {
    assert.equal(row.channel, channelOf.get(row.messageId));
    assert.equal(row.recipient, '+821012345678');
  }
  // Each provider got the channel it is first choice for.
  const [rowsA, rowsB] = await Promise.all(ledgers.map(readLedger));
  assert.ok(rowsA?.length && rowsA.every((row) => row.channel === 'sms'), 'sim-a carried the SMS half');
  assert.ok(rowsB?.length && rowsB.every((row) => row.channel === 'lms'), 'sim-b carried the LMS half');
});

test('serve: SIGTERM ends open SendStream and WatchReports calls with UNAVAILABLE and exits 0', async (t) => {
  const dir = await tempDir(t);
  const configPath = join(dir, 'gateway.yaml');
  // Providers that are down: the accepted message stays queued, which must not hold up the exit.
  await writeFile(configPath, gatewayConfig(`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`));
  const serve = startCli(t, ['serve', '--config', configPath]);
  const [, address] = await serve.waitForLine(/^switchboard gateway listening on (127\.0\.0\.1:\d+)/m);
  const client = new GatewayTestClient(address as string, API_KEY);
  t.after(() => client.close());

  const ended = (call: NodeJS.EventEmitter): Promise<string> =>
    new Promise((resolve) => {
      call.on('error', (error: ServiceError) => resolve(`${Status[error.code]}: ${error.details}`));
      call.on('end', () => resolve('OK'));
    });
  const stream = client.client.sendStream(client.metadata);
  const acks: number[] = [];
  stream.on('data', (answer: AckBatch) => acks.push(answer.batchId));
  const streamEnd = ended(stream);
  stream.write({ batchId: 1, messages: [makeMessage({ templateId: 'otp', variables: { code: '1' } })] });
  const watch = client.client.watchReports({ cursor: '', fromOldest: true }, client.metadata);
  const reports: Report[] = [];
  watch.on('data', (report: Report) => reports.push(report));
  const watchEnd = ended(watch);
  // Both calls are running: the frame is answered and its ACCEPTED report has been watched.
  await waitFor(() => acks.length === 1 && reports.length >= 1, 10_000, 'an ack and a report');

  assert.equal(await serve.terminate(), 0, `serve stderr: ${serve.stderr()}`);
  assert.equal(await streamEnd, 'UNAVAILABLE: server shutting down');
  assert.equal(await watchEnd, 'UNAVAILABLE: server shutting down');
});

/** A config with one problem per line of interest; the values are what the test expects to be reported. */
const BAD_CONFIG = `server:
  listen: everywhere
  shutdownGrace: soon
tenants:
  - id: Bank
    apiKeys: [short]
    senderNumbers: ["15-88"]
providers:
  - id: sim-a
    kind: grpc
    address: 127.0.0.1:50061
    channels: [sms]
routing:
  channels:
    sms: [sim-a]
`;
const BAD_CONFIG_ISSUES = [
  'server.listen: must be "host:port", e.g. "127.0.0.1:50051"',
  'server.shutdownGrace: "soon" is not a duration; use e.g. "500ms", "30s", "5m", "24h"',
  'tenants[0].id: must be lower-case letters, digits, "-" or "_", at most 63 characters',
  'tenants[0].apiKeys[0]: must be at least 16 characters',
  'tenants[0].senderNumbers[0]: must be 3 to 15 digits, e.g. "15880000"',
];

test('serve with an invalid config exits 2 and lists every problem with its path', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'bad.yaml');
  await writeFile(path, BAD_CONFIG);
  const serve = await runCli(t, ['serve', '--config', path]);
  assert.equal(serve.code, 2);
  const [first, ...issues] = serve.stderr.trimEnd().split('\n');
  assert.equal(first, `switchboard: ${path} is not a valid config:`);
  assert.deepEqual(issues.map((line) => line.replace(/^ {2}/, '')).sort(), [...BAD_CONFIG_ISSUES].sort());
  assert.ok(issues.every((line) => line.startsWith('  ')), 'issues are indented under the headline');
  assert.equal(serve.stdout, '');
});

test('config check prints one line per problem and exits 1; a valid file prints ok and exits 0', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'bad.yaml');
  await writeFile(path, BAD_CONFIG);
  const bad = await runCli(t, ['config', 'check', path]);
  assert.equal(bad.code, 1);
  assert.deepEqual(bad.stdout.trimEnd().split('\n').sort(), BAD_CONFIG_ISSUES.map((issue) => `${path}: ${issue}`).sort());
  assert.equal(bad.stderr, '');

  const good = await runCli(t, ['config', 'check', 'config/demo.yaml']);
  assert.deepEqual([good.code, good.stdout, good.stderr], [0, 'config/demo.yaml: ok\n', '']);
});
