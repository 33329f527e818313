// Bench: bulk SendStream through one gateway node (a real `switchboard serve` process) to a
// simulated provider, on the memory store and on the Redis store in the same run, so the Redis
// figure is read as a ratio to the memory one. Loopback only, bounded in count and time.
//
//   npm run bench:store [-- --messages 200000 --streams 2 --frame 500 --profile-dir DIR]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { credentials, Metadata } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { Channel } from '../src/gen/switchboard/provider/v1/provider.js';
import { MessageGatewayClient, type AckBatch, type Message, type SendBatch } from '../src/gen/switchboard/v1/gateway.js';
import { startSimProvider } from '../src/channels/sim-provider.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const API_KEY = 'bench-api-key-0000000000';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    streams: { type: 'string', default: '2' },
    frame: { type: 'string', default: '500' },
    'max-seconds': { type: 'string', default: '60' },
    /** Redis store shards (store.shards). */
    shards: { type: 'string', default: '4' },
    /** Write a CPU profile of each gateway process into this folder (node --cpu-prof). */
    'profile-dir': { type: 'string' },
  },
});
const MESSAGES = Number(values.messages);
const STREAMS = Number(values.streams);
const FRAME = Number(values.frame);
const MAX_MS = Number(values['max-seconds']) * 1000;
const SHARDS = Number(values.shards);

interface Result {
  store: string;
  /** CPU time (user + system) the gateway process used per delivered message. */
  gatewayCpuUsPerMessage: number;
  acceptedPerSec: number;
  deliveredPerSec: number;
  ackP50Ms: number;
  ackP99Ms: number;
}

/** CPU time (user + system) a process has used so far, from /proc (Linux), in milliseconds. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function spawnWaitingFor(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const profile = values['profile-dir'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values['profile-dir']}`];
  const child = spawn(process.execPath, [...profile, CLI, ...args], { cwd: ROOT, env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = out.match(pattern);
      if (match) resolve({ child, match });
    });
    child.once('exit', (code) => reject(new Error(`switchboard ${args[0]} exited with ${code} before printing ${pattern}`)));
  });
}

async function startRedisServer(dir: string): Promise<{ url: string; stop: () => void }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (child.exitCode !== null) throw new Error('redis-server did not start (is it installed?)');
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

async function runScenario(store: string, storeYaml: string, dir: string): Promise<Result> {
  const sim = await startSimProvider({ id: 'bench-sim', channels: [Channel.CHANNEL_SMS], recordIds: false });
  const config = join(dir, `${store}.yaml`);
  writeFileSync(
    config,
    `server: { listen: "127.0.0.1:0" }
store: ${storeYaml}
limits: { maxBatchSize: 1000 }
router: { workers: 0, batchSize: 1000 }
tenants: [{ id: bench, apiKeys: [${API_KEY}], senderNumbers: ["15880000"] }]
providers: [{ id: sim, kind: grpc, address: "${sim.address}", channels: [sms], window: 5000 }]
routing: { defaultChannel: sms, channels: { sms: [sim] } }
templates: [{ id: alert, variables: [name, amount], body: "[카드승인] {{name}}님 {{amount}}원 승인" }]
`,
  );
  const { child, match } = await spawnWaitingFor(['serve', '--config', config], /listening on (\S+)/);
  const address = match[1] ?? '';
  try {
    const message: Message = {
      clientRef: '', recipient: '01012345678', sender: '', templateId: 'alert', variables: { name: '김철수', amount: '12,000' },
      content: undefined, kind: 0, priority: 3, channel: 0, ttlMs: 0, tags: [], nightConsent: false,
    };
    const frame = Array.from({ length: FRAME }, () => message);
    const ackLatencies: number[] = [];
    const start = performance.now();
    const perStream = Math.ceil(MESSAGES / STREAMS / FRAME);
    await Promise.all(
      Array.from({ length: STREAMS }, () => {
        const client = new MessageGatewayClient(address, credentials.createInsecure());
        const metadata = new Metadata();
        metadata.set('x-api-key', API_KEY);
        const call = client.sendStream(metadata);
        const sentAt = new Map<number, number>();
        let next = 0;
        let answered = 0;
        return new Promise<void>((resolve, reject) => {
          const writeMore = (): void => {
            while (next < perStream && next - answered < 8) {
              sentAt.set(next, performance.now());
              call.write({ batchId: next, messages: frame } satisfies SendBatch);
              next++;
            }
            if (next === perStream) call.end();
          };
          call.on('data', (batch: AckBatch) => {
            answered++;
            ackLatencies.push(performance.now() - (sentAt.get(batch.batchId) ?? 0));
            if (performance.now() - start > MAX_MS) call.cancel();
            writeMore();
          });
          call.on('error', (e: Error) => (e.message.includes('Cancelled') ? resolve() : reject(e)));
          call.on('end', () => resolve());
          writeMore();
        }).finally(() => client.close());
      }),
    );
    const acceptedMs = performance.now() - start;
    const accepted = ackLatencies.length * FRAME;
    while (sim.stats().received < accepted && performance.now() - start < MAX_MS * 2) await new Promise((r) => setTimeout(r, 20));
    const deliveredMs = performance.now() - start;
    ackLatencies.sort((a, b) => a - b);
    return {
      store,
      gatewayCpuUsPerMessage: Number(((processCpuMs(child.pid ?? 0) * 1000) / Math.max(1, sim.stats().received)).toFixed(1)),
      acceptedPerSec: Math.round(accepted / (acceptedMs / 1000)),
      deliveredPerSec: Math.round(sim.stats().received / (deliveredMs / 1000)),
      ackP50Ms: Number(percentile(ackLatencies, 50).toFixed(1)),
      ackP99Ms: Number(percentile(ackLatencies, 99).toFixed(1)),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await sim.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
const redis = await startRedisServer(dir);
try {
  const memory = await runScenario('memory', '{ kind: memory }', dir);
  const redisResult = await runScenario('redis', `{ kind: redis, url: "${redis.url}", shards: ${SHARDS} }`, dir);
  console.log(`bulk SendStream, ${MESSAGES} messages, ${STREAMS} streams, ${FRAME} per frame, one gateway node, one simulated provider`);
  console.table([memory, redisResult]);
  // Where Redis spent its time, so an optimisation can aim at the right command.
  const stats = new Redis(redis.url);
  const lines = ((await stats.info('commandstats')) as string).split('\n').filter((l) => l.startsWith('cmdstat_'));
  // Real CPU, not wall-clock command time (which counts time the server was not scheduled).
  const cpu = (await stats.info('cpu')) as string;
  const redisCpuS = Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1]);
  console.log(`redis-server CPU: ${((redisCpuS * 1e6) / MESSAGES).toFixed(1)} µs per message (whole run)`);
  await stats.quit();
  const top = lines
    .map((l) => ({ command: l.slice(8, l.indexOf(':')), calls: Number(/calls=(\d+)/.exec(l)?.[1]), usec: Number(/usec=(\d+)/.exec(l)?.[1]) }))
    .sort((a, b) => b.usec - a.usec)
    .slice(0, 8);
  console.log('redis time by command (top 8):');
  console.table(top.map((c) => ({ ...c, msPerRun: Math.round(c.usec / 1000), usecPerMessage: Number((c.usec / MESSAGES).toFixed(2)) })));
  const ratio = redisResult.deliveredPerSec / memory.deliveredPerSec;
  console.log(`redis/memory delivered ratio: ${ratio.toFixed(2)} (target >= 0.50: ${ratio >= 0.5 ? 'met' : 'MISSED'})`);
} finally {
  redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
