import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startCli, type CliProcess } from './cli-process.js';
import { readLedger, type LedgerRow } from './ledger.js';
import { startRedis, type RedisServer } from './redis.js';
import { TEST_API_KEY } from './test-config.js';
import { waitFor } from './wait-for.js';

export interface Harness {
  readonly redis: RedisServer;
  readonly dir: string;
  readonly sims: CliProcess[];
  readonly ledgerPaths: string[];
  readonly gateways: (CliProcess | null)[];
  readonly addresses: string[];
  /** host:port of each node's GET /metrics, with `metrics: true` ('' otherwise). */
  readonly metricsAddresses: string[];
  readonly configPath: string;
  /** Starts (or restarts) gateway node i as a `switchboard serve` process. */
  startGateway(i: number): Promise<void>;
  /** Starts simulated provider i again, on its port and ledger, after it was killed. */
  restartSim(i: number): Promise<void>;
  /** Every ledger row of every simulated provider. */
  ledgerRows(): Promise<LedgerRow[]>;
}

export interface HarnessOptions {
  readonly nodes: number;
  readonly redisArgs?: string[];
  /** Extra sim-provider flags, e.g. ['--latency-ms', '200']. */
  readonly simArgs?: string[];
  readonly claimIdle?: string;
  /** Each node serves GET /metrics on a port of its own. */
  readonly metrics?: boolean;
}

/**
 * Real processes on loopback: one redis-server, two `switchboard sim-provider` processes writing
 * ledgers, and `nodes` `switchboard serve` processes sharing the Redis store. Everything is
 * stopped in t.after.
 */
export async function startHarness(t: TestContext, options: HarnessOptions): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-chaos-'));
  const redis = await startRedis(options.redisArgs ?? []);
  t.after(() => redis.destroy());
  const sims: CliProcess[] = [];
  const ledgerPaths: string[] = [];
  const simAddresses: string[] = [];
  const startSim = async (i: number): Promise<void> => {
    const id = `sim-${'ab'[i]}`;
    const ledger = join(dir, `${id}.ledger`);
    const port = simAddresses[i] === undefined ? '0' : (simAddresses[i].split(':')[1] as string);
    const sim = startCli(t, ['sim-provider', '--id', id, '--channel', 'sms,lms', '--port', port, '--ledger', ledger, ...(options.simArgs ?? [])]);
    const [, address] = await sim.waitForLine(/listening on (\S+)/);
    sims[i] = sim;
    ledgerPaths[i] = ledger;
    simAddresses[i] = address ?? '';
  };
  for (const i of [0, 1]) await startSim(i);
  t.after(() => Promise.all(sims.map((s) => s.terminate())));

  const configPath = join(dir, 'gateway.yaml');
  writeFileSync(
    configPath,
    `server: { listen: "127.0.0.1:0", shutdownGrace: 3s${options.metrics === true ? ', metricsListen: "127.0.0.1:0"' : ''} }
store:
  kind: redis
  url: ${redis.url}
  shards: 4
  commandTimeout: 1s
  claimIdle: ${options.claimIdle ?? '1s'}
dispatcher: { retryBackoff: 100ms, maxRetryBackoff: 1s }
tenants:
  - id: tenant-a
    apiKeys: [${TEST_API_KEY}]
    senderNumbers: ["15880000"]
providers:
  - { id: sim-a, kind: grpc, address: "${simAddresses[0]}", channels: [sms, lms], connectTimeout: 500ms, reconnectBackoff: 50ms, maxReconnectBackoff: 500ms }
  - { id: sim-b, kind: grpc, address: "${simAddresses[1]}", channels: [sms, lms], connectTimeout: 500ms, reconnectBackoff: 50ms, maxReconnectBackoff: 500ms }
routing:
  defaultChannel: sms
  channels: { sms: [sim-a, sim-b], lms: [sim-a, sim-b] }
templates:
  - { id: welcome, variables: [name], body: "{{name}}님, 환영합니다." }
`,
  );

  const gateways: (CliProcess | null)[] = Array.from({ length: options.nodes }, () => null);
  const addresses: string[] = Array.from({ length: options.nodes }, () => '');
  const metricsAddresses: string[] = Array.from({ length: options.nodes }, () => '');
  const harness: Harness = {
    redis,
    dir,
    sims,
    ledgerPaths,
    gateways,
    addresses,
    metricsAddresses,
    configPath,
    async startGateway(i) {
      const listen = addresses[i] === '' ? '127.0.0.1:0' : addresses[i] as string;
      const node = startCli(t, ['serve', '--config', configPath, '--listen', listen]);
      const [, address] = await node.waitForLine(/listening on (\S+)/, 20_000);
      gateways[i] = node;
      addresses[i] = address ?? '';
      if (options.metrics === true) metricsAddresses[i] = (await node.waitForLine(/metrics on http:\/\/(\S+)\/metrics/))[1] ?? '';
    },
    restartSim: startSim,
    async ledgerRows() {
      return (await Promise.all(ledgerPaths.map(readLedger))).flat();
    },
  };
  for (let i = 0; i < options.nodes; i++) await harness.startGateway(i);
  t.after(() => Promise.all(gateways.map((g) => g?.terminate())));
  return harness;
}

/**
 * The checker: waits until every acknowledged message id has reached a provider, then returns
 * how many ids arrived more than once (each duplicate necessarily carries the same message id).
 */
export async function checkDelivered(harness: Harness, acked: Map<string, string>, timeoutMs = 60_000): Promise<{ lost: string[]; duplicates: number }> {
  const ids = new Set(acked.values());
  let lost: string[] = [...ids];
  await waitFor(
    async () => {
      const seen = new Set((await harness.ledgerRows()).map((r) => r.messageId));
      lost = [...ids].filter((id) => !seen.has(id));
      return lost.length === 0;
    },
    timeoutMs,
    'every acknowledged message to reach a provider',
  ).catch(() => undefined);
  const counts = new Map<string, number>();
  for (const row of await harness.ledgerRows()) counts.set(row.messageId, (counts.get(row.messageId) ?? 0) + 1);
  let duplicates = 0;
  for (const count of counts.values()) duplicates += count - 1;
  return { lost, duplicates };
}
