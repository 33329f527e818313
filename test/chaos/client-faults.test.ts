// Clients that misbehave, from RELIABILITY.md:
// - C4 (client kill -9 mid-stream): a SendStream client process is SIGKILLed while it streams.
//   The gateway stays up and serves the next client, the killed stream's handler ends (the
//   active-calls gauge goes back to 0), and everything it acknowledged is stored.
// - C1 (a client that reads its acks slowly): the gateway stops reading the client's frames while
//   its acks cannot be written, so HTTP/2 flow control holds the sender instead of the gateway
//   piling up acks, and every frame is acked once the client reads at full speed again. (A grpc-js
//   client that never reads at all buffers the acks in its own process: grpc-js keeps reading
//   the stream until the application first asks for a message.)
// - C3 (stream flood): one connection opens more streams than server.maxConcurrentStreams; the
//   gateway serves at most that many at once and other clients are served meanwhile.
// - C7 (deadlines): Sends with deadlines of 50 ms, 1 ms and already past; each is then retried
//   with the same client_ref and a normal deadline. Whatever the first try got to, every
//   client_ref reaches the supplier exactly once, under the id its retry was given.
// - C2 (idle streams): 1,000 SendStreams that never send are closed after server.streamIdleTimeout
//   with DEADLINE_EXCEEDED, a stream that keeps sending is not, and once the calls are gone the
//   idle connections are closed too (server.connectionIdleTimeout): calls and sockets back to
//   where they were.
// - C6 (ping abuse): grpc-js 1.14.7 has no ping-strike rule (server.ts never looks at the
//   client's pings); nghttp2 answers them in C++. A client that pings 10,000 times a second (a
//   grpc-js client with keepalive_time_ms=1 manages ~700) and reads the acks costs the node a few
//   % of a core (< 70%) while other clients' Sends succeed; one that floods pings without reading
//   is cut off by nghttp2's flood guard.
// - C9 (huge input): a unary Send or a SendStream frame over server.maxReceiveMessageBytes is
//   refused with RESOURCE_EXHAUSTED (code 8), and the gateway goes on serving.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { credentials, Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import { MessageGatewayClient, MessageState, type AckBatch } from '../../src/gen/switchboard/v1/gateway.js';
import { GatewayTestClient, makeMessage } from '../helpers/gateway-calls.js';
import { REPO_ROOT } from '../helpers/cli-process.js';
import { TEST_API_KEY } from '../helpers/test-config.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { waitFor } from '../helpers/wait-for.js';

const CLIENT = fileURLToPath(new URL('../helpers/acking-stream-client.js', import.meta.url));
const PING_FLOOD_CLIENT = fileURLToPath(new URL('../helpers/ping-flood-client.js', import.meta.url));

async function activeCalls(metricsAddress: string): Promise<number> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  const match = /^switchboard_gateway_active_calls (\d+)$/m.exec(text);
  assert.ok(match, 'the active-calls gauge is exported');
  return Number(match[1]);
}

test('C4: a client SIGKILLed mid-stream leaves the gateway serving, its call ended, and every message it was acked stored', async (t) => {
  const gw = await startTestGateway({}, (raw) => ((raw['server'] as Record<string, unknown>)['metricsListen'] = '127.0.0.1:0'));
  t.after(() => gw.stop());
  const metricsAddress = gw.node.metricsAddress as string;

  const child = spawn(process.execPath, [CLIENT, gw.node.address, TEST_API_KEY], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const acked: string[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('acked ')) acked.push(line.slice('acked '.length));
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));

  await waitFor(() => acked.length >= 2_000, 20_000, `the client to be acked 2,000 messages (stderr: ${stderr})`);
  assert.equal(await activeCalls(metricsAddress), 1, 'the client stream is the one call open');
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');

  // The stream's handler ends: nothing keeps it open once the connection is gone.
  await waitFor(async () => (await activeCalls(metricsAddress)) === 0, 10_000, 'the killed client call to end on the gateway');
  // The gateway serves the next client.
  const next = await gw.client.send({ clientRef: 'after-the-kill' });
  await waitFor(async () => (await gw.client.getStatus(next.messageId)).state === MessageState.MESSAGE_STATE_DELIVERED, 10_000, 'a message sent after the kill to be delivered');
  // Acked is a subset of stored: each message the killed client was told about has a status.
  const missing: string[] = [];
  for (const messageId of acked) {
    const status = await gw.client.getStatus(messageId).catch(() => undefined);
    if (status === undefined || status.state === MessageState.MESSAGE_STATE_UNSPECIFIED) missing.push(messageId);
  }
  t.diagnostic(`acked before the kill: ${acked.length}`);
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acked messages have no status`);
});

async function acceptedCount(metricsAddress: string): Promise<number> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  return Number(/^switchboard_gateway_messages_accepted_total\{duplicate="false"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

test('C1: a client that reads its acks slowly is held by flow control: the gateway takes its frames no faster than it reads, and acks them all', async (t) => {
  const gw = await startTestGateway({}, (raw) => ((raw['server'] as Record<string, unknown>)['metricsListen'] = '127.0.0.1:0'));
  t.after(() => gw.stop());
  const metricsAddress = gw.node.metricsAddress as string;
  const client = new GatewayTestClient(gw.node.address, TEST_API_KEY);
  t.after(() => client.client.close());

  // Acks are read at 10 frames a second; frames go out as fast as write() allows.
  const call = client.client.sendStream(client.metadata);
  const FRAME = 100;
  const FRAMES = 2_000;
  const answers: AckBatch[] = [];
  let slow = true;
  call.on('data', (answer: AckBatch) => {
    answers.push(answer);
    if (answers.length === FRAMES) call.end();
    if (slow) {
      call.pause();
      setTimeout(() => call.resume(), 100);
    }
  });
  const ended = new Promise<void>((resolve, reject) => {
    call.on('error', reject);
    call.on('end', resolve);
  });
  let written = 0;
  const writeMore = (): void => {
    while (written < FRAMES) {
      written++;
      if (!call.write({ batchId: written, messages: Array.from({ length: FRAME }, (_, i) => makeMessage({ clientRef: `c1-${written}-${i}` })) })) {
        call.once('drain', writeMore);
        return;
      }
    }
  };
  writeMore();

  // For 4 s the gateway stays within a bounded lead of what the client has read: the acks it
  // cannot write hold its reading, and the client's writes are held in turn.
  let maxLead = 0;
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    maxLead = Math.max(maxLead, (await acceptedCount(metricsAddress)) / FRAME - answers.length);
  }
  t.diagnostic(`after 4 s: ${written} frames written, ${answers.length} read, ${(await acceptedCount(metricsAddress)) / FRAME} accepted; largest lead of accepted over read ${maxLead} frames`);
  assert.ok(maxLead <= 100, `the gateway accepted up to ${maxLead} frames more than the client had read: it does not wait for its acks to be written`);
  assert.ok(written < FRAMES / 2, `the client was not held: ${written} of ${FRAMES} frames written while it read ${answers.length}`);

  // Reading at full speed again: every frame is acked, in order, and the stream ends OK.
  slow = false;
  call.resume();
  await ended;
  assert.equal(answers.length, FRAMES);
  assert.ok(answers.every((a, i) => a.batchId === i + 1 && a.acks.length === FRAME && a.acks.every((ack) => ack.accepted)));
});

test('C3: one connection opening more streams than maxConcurrentStreams gets that many served at once; other clients are served meanwhile', async (t) => {
  const gw = await startTestGateway({}, (raw) => {
    const server = raw['server'] as Record<string, unknown>;
    server['metricsListen'] = '127.0.0.1:0';
    server['maxConcurrentStreams'] = 20;
  });
  t.after(() => gw.stop());
  const metricsAddress = gw.node.metricsAddress as string;
  // Its own connection, as another process would have (grpc-js channels to one address share one otherwise).
  const flooder = new MessageGatewayClient(gw.node.address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  t.after(() => flooder.close());
  const metadata = new Metadata();
  metadata.set('x-api-key', TEST_API_KEY);

  // 60 long-lived streams on that one connection: WatchReports waits for reports.
  const streams = Array.from({ length: 60 }, () => {
    const call = flooder.watchReports({ cursor: '', fromOldest: false }, metadata);
    call.on('error', () => {});
    call.on('data', () => {});
    return call;
  });
  await waitFor(async () => (await activeCalls(metricsAddress)) >= 20, 10_000, '20 streams to be served');
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(await activeCalls(metricsAddress), 20, 'no more than maxConcurrentStreams at once on one connection');

  // Another client, on its own connection, is served meanwhile.
  const started = Date.now();
  const { messageId } = await gw.client.send({ clientRef: 'beside-the-flood' });
  await waitFor(async () => (await gw.client.getStatus(messageId)).state === MessageState.MESSAGE_STATE_DELIVERED, 10_000, 'the other client message to be delivered');
  t.diagnostic(`the other client's send and delivery took ${Date.now() - started} ms`);

  for (const call of streams) call.cancel();
  await waitFor(async () => (await activeCalls(metricsAddress)) === 0, 10_000, 'every flood stream to end once cancelled');
});

test('C9: a unary Send or a stream frame over maxReceiveMessageBytes is refused with RESOURCE_EXHAUSTED; the gateway goes on serving', async (t) => {
  const gw = await startTestGateway({}, (raw) => ((raw['server'] as Record<string, unknown>)['maxReceiveMessageBytes'] = 64 * 1024));
  t.after(() => gw.stop());

  const huge = { content: { body: 'x'.repeat(100_000), subject: '' }, templateId: '', variables: {} };
  await assert.rejects(gw.client.send(huge), (error: ServiceError) => {
    assert.equal(error.code, Status.RESOURCE_EXHAUSTED);
    assert.match(error.details, /larger than max/);
    return true;
  });
  const bigFrame = { batchId: 1, messages: Array.from({ length: 2_000 }, (_, i) => makeMessage({ clientRef: `c9-${i}` })) };
  const { answers, error } = await gw.client.sendStreamSettled([bigFrame]);
  assert.deepEqual(answers, []);
  assert.equal(error?.code, Status.RESOURCE_EXHAUSTED);

  const { messageId } = await gw.client.send({ clientRef: 'after-the-huge-ones' });
  await waitFor(async () => (await gw.client.getStatus(messageId)).state === MessageState.MESSAGE_STATE_DELIVERED, 10_000, 'a normal message after them to be delivered');
});

test('C7: Sends whose deadline passes (50 ms, 1 ms, already past) and are retried with the same client_ref reach the supplier once each', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.stop());
  const send = (clientRef: string, deadlineMs: number) =>
    new Promise<{ messageId: string } | ServiceError>((resolve) =>
      gw.client.client.send({ message: makeMessage({ clientRef }) }, gw.client.metadata, { deadline: Date.now() + deadlineMs }, (error, response) => resolve(error ?? { messageId: response!.messageId })),
    );
  const outcomes: string[] = [];
  const ids: string[] = [];
  for (const [i, deadlineMs] of [50, 1, -1_000, 50, 1, -1_000].entries()) {
    const clientRef = `c7-${i}`;
    const first = await send(clientRef, deadlineMs);
    if ('code' in first) {
      assert.equal(first.code, Status.DEADLINE_EXCEEDED, `a passed deadline ends the call with DEADLINE_EXCEEDED, not ${first.code}: ${first.details}`);
      outcomes.push(`${deadlineMs} ms: DEADLINE_EXCEEDED`);
    } else {
      outcomes.push(`${deadlineMs} ms: acked`);
    }
    const retry = await gw.client.send({ clientRef });
    if (!('code' in first)) assert.equal(retry.messageId, first.messageId, 'the retry of an acked send names the same message');
    ids.push(retry.messageId);
  }
  t.diagnostic(outcomes.join('; '));
  for (const id of ids) await waitFor(async () => (await gw.client.getStatus(id)).state === MessageState.MESSAGE_STATE_DELIVERED, 10_000, `${id} delivered`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual([...gw.sms.received()].sort(), [...ids].sort(), 'each client_ref reached the supplier once');
});

/** TCP connections to or from `port` that this process holds (the in-process gateway's ends and its clients'). */
function connectionsOfPort(port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const link = readlinkSync(`/proc/self/fd/${fd}`);
      if (link.startsWith('socket:[')) inodes.add(link.slice('socket:['.length, -1));
    } catch {
      // closed between the listing and the look
    }
  }
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, remote, state, , , , , , inode] = line.trim().split(/\s+/);
      // State 0A is LISTEN: the server's own socket is not a connection.
      if (inode === undefined || state === '0A' || !inodes.has(inode)) continue;
      const ports = [local, remote].map((address) => parseInt(address!.split(':')[1]!, 16));
      if (ports.includes(port)) count++;
    }
  }
  return count;
}

test('C2: 1,000 streams that send nothing are closed after the idle timeout, then their connections; a stream that keeps sending stays', async (t) => {
  const idleMs = 2000;
  const gw = await startTestGateway({}, (raw) => {
    const server = raw['server'] as Record<string, unknown>;
    server['metricsListen'] = '127.0.0.1:0';
    server['streamIdleTimeout'] = idleMs;
    server['connectionIdleTimeout'] = 1000;
  });
  t.after(() => gw.stop());
  const metricsAddress = gw.node.metricsAddress as string;
  const metadata = new Metadata();
  metadata.set('x-api-key', TEST_API_KEY);
  const port = Number(gw.node.address.split(':')[1]);
  assert.equal(connectionsOfPort(port), 0, 'no connection to the gateway before the clients');

  // 10 connections (as 10 client processes would have) with 100 silent streams each.
  const channels = Array.from({ length: 10 }, () => new MessageGatewayClient(gw.node.address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
  t.after(() => channels.forEach((c) => c.close()));
  const openedMs = Date.now();
  const ended = channels.flatMap((channel) =>
    Array.from({ length: 100 }, () => {
      const call = channel.sendStream(metadata);
      return new Promise<{ error: ServiceError | null; afterMs: number }>((resolve) => {
        call.on('data', () => {});
        call.on('error', (error: ServiceError) => resolve({ error, afterMs: Date.now() - openedMs }));
        call.on('end', () => resolve({ error: null, afterMs: Date.now() - openedMs }));
      });
    }),
  );

  // A client on its own connection that sends a frame every 400 ms for twice the idle timeout.
  const busy = new MessageGatewayClient(gw.node.address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  t.after(() => busy.close());
  const busyCall = busy.sendStream(metadata);
  const busyAcks: AckBatch[] = [];
  const busyEnded = new Promise<ServiceError | null>((resolve) => {
    busyCall.on('data', (batch: AckBatch) => busyAcks.push(batch));
    busyCall.on('error', resolve);
    busyCall.on('end', () => resolve(null));
  });
  // 11 connections, both of whose ends are in this process.
  await waitFor(() => connectionsOfPort(port) === 22, 2500, `the 11 client connections to be open (${connectionsOfPort(port)} ends)`);
  const frames = Math.ceil((idleMs * 2) / 400);
  for (let i = 0; i < frames; i++) {
    busyCall.write({ batchId: i + 1, messages: [makeMessage({ clientRef: `busy-${i}` })] });
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  busyCall.end();
  assert.equal(await busyEnded, null, 'the stream that kept sending ends OK when its client ends it');
  assert.equal(busyAcks.length, frames, 'every frame of the busy stream acked');

  const results = await Promise.race([
    Promise.all(ended),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the silent streams were not closed within 15 s')), 15_000).unref()),
  ]);
  const codes = new Map<number | string, number>();
  for (const { error } of results) codes.set(error?.code ?? 'OK', (codes.get(error?.code ?? 'OK') ?? 0) + 1);
  assert.deepEqual([...codes], [[Status.DEADLINE_EXCEEDED, 1000]], 'every silent stream ends with DEADLINE_EXCEEDED');
  assert.match(results[0]!.error!.details, /no message from the client for 2 s: the idle stream is closed \(server\.streamIdleTimeout\)/);
  const earliest = Math.min(...results.map((r) => r.afterMs));
  assert.ok(earliest >= idleMs - 100, `a silent stream was closed ${earliest} ms after it opened; the timeout is ${idleMs} ms`);

  await waitFor(async () => (await activeCalls(metricsAddress)) === 0, 10_000, 'the calls to be gone');
  // The connections, now without calls, are closed by the server after connectionIdleTimeout.
  await waitFor(() => connectionsOfPort(port) === 0, 10_000, 'every connection to the gateway to be closed');
  // The clients reconnect on their next call.
  await new Promise<void>((resolve, reject) => channels[0]!.send({ message: makeMessage({ clientRef: 'after-idle' }) }, metadata, (error) => (error ? reject(error) : resolve())));
});

test('C6: a client that pings 10,000 times a second costs the node under 70% of a core and others are served; an unread ping flood is cut off', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.stop());

  const pinger = spawn(process.execPath, [PING_FLOOD_CLIENT, gw.node.address, '10'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => pinger.kill('SIGKILL'));
  let ackedBytes = 0;
  let pingerClosed = false;
  pinger.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    for (const match of chunk.matchAll(/acked (\d+)/g)) ackedBytes = Number(match[1]);
    pingerClosed ||= chunk.includes('closed');
  });
  // 17 bytes per PING ack: wait until the node has answered 10,000 pings.
  await waitFor(() => ackedBytes >= 10_000 * 17, 10_000, 'the node to answer the pings');

  // This process holds the node (and the simulated suppliers), not the pinger.
  const cpuBefore = process.cpuUsage();
  const startedMs = Date.now();
  const ackedBefore = ackedBytes;
  let sent = 0;
  while (Date.now() - startedMs < 2000) {
    await gw.client.send({ clientRef: `beside-the-pings-${sent++}` });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const cpu = process.cpuUsage(cpuBefore);
  const share = (cpu.user + cpu.system) / 1000 / (Date.now() - startedMs);
  const pingsPerSecond = Math.round((ackedBytes - ackedBefore) / 17 / ((Date.now() - startedMs) / 1000));
  t.diagnostic(`${pingsPerSecond} pings/s answered; node CPU ${(share * 100).toFixed(1)}% of a core, with ${sent} Sends beside`);
  assert.ok(!pingerClosed, 'the node closed the connection of a client that reads its ping acks');
  assert.ok(pingsPerSecond >= 3_000, `the pinger got ${pingsPerSecond} pings/s answered; the test needs a flood`);
  assert.ok(share < 0.7, `the node used ${(share * 100).toFixed(1)}% of a core`);
  pinger.kill('SIGKILL');

  // Pings written without reading the acks: the node closes that connection and serves on.
  const flooder = spawn(process.execPath, [PING_FLOOD_CLIENT, gw.node.address, '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => flooder.kill('SIGKILL'));
  let closed = false;
  flooder.stdout.setEncoding('utf8').on('data', (chunk: string) => (closed ||= chunk.includes('closed')));
  await waitFor(() => closed, 10_000, 'the node to close the flooding connection');
  await gw.client.send({ clientRef: 'after-the-flood' });
});
