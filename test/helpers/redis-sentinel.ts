import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { startRedis, type RedisServer } from './redis.js';
import { waitFor } from './wait-for.js';

export interface RedisWithSentinel {
  readonly primary: RedisServer;
  /** host:port of the sentinel. */
  readonly sentinel: string;
  readonly name: string;
  destroy(): Promise<void>;
}

/** A primary and one Sentinel that monitors it (`redis-server sentinel.conf --sentinel`), on loopback. */
export async function startRedisWithSentinel(): Promise<RedisWithSentinel> {
  const primary = await startRedis();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  const name = 'switchboard';
  writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor ${name} 127.0.0.1 ${primary.port} 1\nsentinel down-after-milliseconds ${name} 2000\n`);
  const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 100 });
  probe.on('error', () => {}); // refused until the sentinel is up: expected while probing
  await waitFor(
    async () => {
      try {
        if (probe.status !== 'ready') await probe.connect().catch(() => undefined);
        const address = (await probe.call('SENTINEL', 'get-master-addr-by-name', name)) as string[] | null;
        return address?.[1] === String(primary.port);
      } catch {
        return false;
      }
    },
    15_000,
    'the sentinel to know the primary',
  );
  probe.disconnect();
  return {
    primary,
    sentinel: `127.0.0.1:${port}`,
    name,
    destroy: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      await primary.destroy();
    },
  };
}

export interface ReplicatedRedis {
  readonly primary: RedisServer;
  readonly replicas: readonly RedisServer[];
  /** host:port of each sentinel. */
  readonly sentinels: readonly string[];
  readonly name: string;
  /** The port of the primary the sentinels name now. */
  primaryPort(): Promise<number>;
  destroy(): Promise<void>;
}

/**
 * A primary, `replicaCount` replicas and `sentinelCount` Sentinels (quorum: a majority) on
 * loopback, for failover tests (RELIABILITY A5). A primary is declared down after 1 s.
 */
export async function startReplicatedRedis(replicaCount = 2, sentinelCount = 3): Promise<ReplicatedRedis> {
  // No delay before a diskless full sync (Redis waits 5 s by default for more replicas to join it).
  const noSyncDelay = ['--repl-diskless-sync-delay', '0'];
  const primary = await startRedis(noSyncDelay);
  const replicas: RedisServer[] = [];
  for (let i = 0; i < replicaCount; i++) replicas.push(await startRedis([...noSyncDelay, '--replicaof', '127.0.0.1', String(primary.port)]));
  // In sync on both ends: each replica's link is up, and the primary lists each as online.
  const primaryClient = primary.client();
  const replicaClients = replicas.map((replica) => replica.client());
  await waitFor(
    async () => {
      for (const client of replicaClients) if (!(await client.info('replication')).includes('master_link_status:up')) return false;
      return ((await primaryClient.info('replication')).match(/state=online/g) ?? []).length === replicaCount;
    },
    15_000,
    `${replicaCount} replicas to be in sync`,
  );
  // Listed online is not yet streaming: after a diskless full sync the primary holds its writes
  // back until a replica's first REPLCONF ACK (up to a second later; writes made meanwhile reached
  // the replicas ~0.9 s late, measured). WAIT answers once every replica has taken a write.
  await waitFor(async () => (await primaryClient.incr('replication-probe')) > 0 && (await primaryClient.wait(replicaCount, 200)) === replicaCount, 15_000, `${replicaCount} replicas to take a write`);
  await primaryClient.del('replication-probe');
  const name = 'switchboard';
  const quorum = Math.floor(sentinelCount / 2) + 1;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-sentinels-'));
  const sentinels: string[] = [];
  const children: ReturnType<typeof spawn>[] = [];
  for (let i = 0; i < sentinelCount; i++) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${i}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primary.port} ${quorum}`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 2000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    children.push(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }));
    sentinels.push(`127.0.0.1:${port}`);
  }
  const ask = async (sentinel: string, ...args: string[]): Promise<unknown> => {
    const [host, port] = sentinel.split(':');
    const probe = new Redis(Number(port), host!, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    try {
      await probe.connect();
      return await probe.call('SENTINEL', ...args);
    } catch {
      return null;
    } finally {
      probe.disconnect();
    }
  };
  // Each sentinel knows the primary, its replicas and the other sentinels before a failover can work.
  await waitFor(
    async () => {
      for (const sentinel of sentinels) {
        const knownReplicas = (await ask(sentinel, 'replicas', name)) as unknown[] | null;
        const otherSentinels = (await ask(sentinel, 'sentinels', name)) as unknown[] | null;
        if (knownReplicas?.length !== replicaCount || otherSentinels?.length !== sentinelCount - 1) return false;
      }
      return true;
    },
    30_000,
    'the sentinels to know the replicas and each other',
  );
  return {
    primary,
    replicas,
    sentinels,
    name,
    primaryPort: async () => Number(((await ask(sentinels[0]!, 'get-master-addr-by-name', name)) as string[] | null)?.[1] ?? 0),
    destroy: async () => {
      await Promise.all(
        children.map((child) => {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGKILL');
          return exited;
        }),
      );
      rmSync(dir, { recursive: true, force: true });
      await Promise.all([primary, ...replicas].map((server) => server.destroy()));
    },
  };
}
