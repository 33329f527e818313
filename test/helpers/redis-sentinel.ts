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
