import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Its data dir (the AOF, when enabled, is under it). */
  readonly dir: string;
  /** Stops the server (SIGTERM by default; SIGKILL to simulate a crash). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data dir (AOF is replayed when enabled). */
  restart(): Promise<void>;
  /** Freezes (SIGSTOP) or thaws (SIGCONT) the process, keeping its sockets open. */
  freeze(): void;
  thaw(): void;
  /** A client for direct inspection in tests; closed by stop(). */
  client(): Redis;
  /** Stops the server for good and removes its data dir. */
  destroy(): Promise<void>;
}

/**
 * Starts a real redis-server on a free 127.0.0.1 port with its own temp dir. Fails (never skips)
 * when redis-server is missing: `npm test` installs it. Extra args go on the command line, e.g.
 * ['--appendonly', 'yes', '--appendfsync', 'always'].
 */
export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-redis-'));
  let child: ChildProcess | null = null;
  const clients: Redis[] = [];

  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', ...extraArgs];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    const spawnError = new Promise<never>((_, reject) => proc.once('error', (e) => reject(new Error(`cannot start redis-server (is it installed? npm test installs it): ${e.message}`))));
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    probe.on('error', () => {}); // refused until the server is up: expected while probing
    try {
      await Promise.race([
        spawnError,
        waitFor(async () => {
          try {
            if (probe.status !== 'ready') await probe.connect().catch(() => undefined);
            return (await probe.ping()) === 'PONG';
          } catch {
            probe.disconnect();
            return false;
          }
        }, 10_000, `redis-server on port ${port} answering PING`),
      ]);
    } finally {
      probe.disconnect();
    }
  };

  await launch();
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async stop(signal = 'SIGTERM') {
      for (const c of clients.splice(0)) c.disconnect();
      const proc = child;
      child = null;
      if (proc === null || proc.exitCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGCONT');
      proc.kill(signal);
      await exited;
    },
    async restart() {
      await launch();
    },
    freeze() {
      child?.kill('SIGSTOP');
    },
    thaw() {
      child?.kill('SIGCONT');
    },
    client() {
      const c = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
      clients.push(c);
      return c;
    },
    async destroy() {
      await server.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
