// The processes a bench run starts: redis-server, `switchboard serve`, `switchboard sim-provider`
// and the echo baseline, each on a free loopback port, each stopped by the caller.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { sutCommand } from './cpu-pinning.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const ECHO_SERVER = fileURLToPath(new URL('../echo-server.js', import.meta.url));

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** What the process printed as its address. */
  readonly address: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** What startProcess starts: a system under test (pinned with --sut-cpus) or part of the harness. */
export type ProcessRole = 'system under test' | 'harness';

/**
 * Starts `node <args>` and waits for a stdout line matching `pattern` (its first group is the
 * address). With `showOutput` the child's stdout is copied to this process's stderr.
 */
export function startProcess(role: ProcessRole, args: string[], pattern: RegExp, extraNodeArgs: string[] = [], showOutput = false): Promise<RunningProcess> {
  const nodeArgs = [...extraNodeArgs, ...args];
  const [command, commandArgs] = role === 'system under test' ? sutCommand(process.execPath, nodeArgs) : [process.execPath, nodeArgs];
  const child = spawn(command, commandArgs, {
    cwd: ROOT,
    env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not print ${pattern} within 20 s; output: ${out}`));
    }, 20_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (showOutput) process.stderr.write(chunk);
      if (out.length < 10_000) out += chunk;
      const match = out.match(pattern);
      if (match) {
        clearTimeout(timeout);
        resolve({ child, pid: child.pid ?? 0, address: match[1] ?? '', stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timeout);
      reject(new Error(`${args.join(' ')} exited with ${code} before printing ${pattern}; output: ${out}`));
    });
  });
}

export function startGatewayProcess(configPath: string, nodeArgs: string[] = [], showOutput = false): Promise<RunningProcess> {
  return startProcess('system under test', [CLI, 'serve', '--config', configPath], /listening on (\S+)/, nodeArgs, showOutput);
}

export function startSimProviderProcess(id: string, ledgerPath: string): Promise<RunningProcess> {
  return startProcess('harness', [CLI, 'sim-provider', '--id', id, '--channel', 'sms', '--ledger', ledgerPath], /listening on (\S+)/);
}

export function startEchoServer(): Promise<RunningProcess> {
  return startProcess('system under test', [ECHO_SERVER], /listening on (\S+)/);
}

export interface RedisServer {
  readonly url: string;
  readonly pid: number;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** redis-server with AOF everysec (as the store is run in production), on a free port, data in `dir`. */
export async function startRedisServer(dir: string): Promise<RedisServer> {
  const port = await freePort();
  const [command, args] = sutCommand('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction']);
  const child = spawn(command, args, { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => {});
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // Refused connects while the server starts are expected; the loop below retries them.
  client.on('error', () => {});
  for (let attempt = 0; ; attempt++) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (error) {
      if (attempt > 50 || child.exitCode !== null) throw new Error(`redis-server did not start on port ${port} (is it installed?): ${(error as Error).message}`);
      client.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    pid: child.pid ?? 0,
    flush: async () => {
      await client.flushall();
    },
    stop: async () => {
      client.disconnect();
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Resident set size of a process, from /proc (Linux), in MB; 0 when unreadable. */
export function processRssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Math.round(Number(kb) / 102.4) / 10;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used so far, all its threads, from /proc (Linux), in milliseconds. */
export function processCpuMs(pid: number): number {
  return cpuMsOfStat(`/proc/${pid}/stat`);
}

/**
 * CPU time of a process's main thread (the event loop of a node process, redis-server's command
 * loop), from /proc (Linux), in milliseconds. What a process can do per second is bounded by this
 * thread whatever the machine: GC helper and worker threads spread over other cores, it cannot.
 */
export function mainThreadCpuMs(pid: number): number {
  return cpuMsOfStat(`/proc/${pid}/task/${pid}/stat`);
}

/**
 * Time a process's main thread spent ready to run but waiting for a CPU, in milliseconds, from
 * /proc/<pid>/task/<pid>/schedstat (Linux; 0 where it cannot be read). When every core is busy, an
 * event loop with work waits here, and every call it serves waits with it: latency that a cheaper
 * gateway shortens only by leaving the CPU to others sooner.
 */
export function mainThreadRunQueueMs(pid: number): number {
  try {
    const waitNs = Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]);
    return Number.isFinite(waitNs) ? waitNs / 1e6 : 0;
  } catch {
    return 0;
  }
}

/** The CPUs a thread of process `pid` may run on, as /proc says ("0-1", "1"); '' where unknown. */
export function allowedCpus(pid: number): string {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

function cpuMsOfStat(path: string): number {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ 100
  } catch {
    return 0;
  }
}
