import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from './redis.js';
import { waitFor } from './wait-for.js';

export interface RedisClusterServers {
  /** host:port of each primary. */
  readonly nodes: string[];
  destroy(): Promise<void>;
}

/**
 * A real three-primary Redis Cluster on free loopback ports: three redis-server processes in
 * cluster mode, the 16384 slots split between them, joined with CLUSTER MEET (no redis-cli needed).
 */
export async function startRedisCluster(): Promise<RedisClusterServers> {
  const servers: RedisServer[] = [];
  for (let i = 0; i < 3; i++) servers.push(await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '2000']));
  const admins = servers.map((s) => new Redis(s.port, '127.0.0.1'));
  try {
    const ranges: [number, number][] = [[0, 5460], [5461, 10922], [10923, 16383]];
    await Promise.all(admins.map((admin, i) => admin.call('CLUSTER', 'ADDSLOTSRANGE', ...(ranges[i] as [number, number]))));
    for (const server of servers.slice(1)) await admins[0]?.call('CLUSTER', 'MEET', '127.0.0.1', server.port);
    await waitFor(
      async () => (await Promise.all(admins.map((a) => a.call('CLUSTER', 'INFO') as Promise<string>))).every((info) => info.includes('cluster_state:ok')),
      20_000,
      'the three-node Redis Cluster to report cluster_state:ok',
    );
  } finally {
    for (const admin of admins) admin.disconnect();
  }
  return {
    nodes: servers.map((s) => `127.0.0.1:${s.port}`),
    destroy: async () => {
      await Promise.all(servers.map((s) => s.destroy()));
    },
  };
}
