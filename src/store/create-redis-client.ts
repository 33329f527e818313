import { Cluster, Redis, type ChainableCommander } from 'ioredis';
import type { RedisStoreSettings } from '../config/config.js';
import { log } from '../log.js';
import {
  CLAIM_SCRIPT,
  DEAD_LETTER_SCRIPT,
  ENQUEUE_SCRIPT,
  MOVE_DUE_SCRIPT,
  RECORD_EVENTS_SCRIPT,
  RECORD_INBOUND_SCRIPT,
  RETRY_LATER_SCRIPT,
} from './redis-scripts.js';
import { FORGET_IDLE_CONSUMERS_SCRIPT, RENEW_CLAIMS_SCRIPT } from './redis-lease-scripts.js';

/** The store's Lua scripts as client commands (numKeys first: the key count varies per call). */
export interface ScriptCommands {
  sbEnqueue(numKeys: number, ...args: (string | number)[]): Promise<string[]>;
  /** One packed string of claimed entries (see CLAIM_SCRIPT). */
  sbClaim(numKeys: number, ...args: (string | number)[]): Promise<string>;
  /** One letter per event (see RECORD_EVENTS_SCRIPT). */
  sbRecordEvents(numKeys: number, ...args: (string | number)[]): Promise<string>;
  sbRecordInbound(numKeys: number, ...args: (string | number)[]): Promise<number>;
  sbRetryLater(numKeys: number, ...args: (string | number)[]): Promise<number>;
  sbMoveDue(numKeys: number, ...args: (string | number)[]): Promise<number>;
  sbDeadLetter(numKeys: number, ...args: (string | number)[]): Promise<number>;
  /** KEYS: the lane stream; ARGV: group, consumer, entry ids (see RENEW_CLAIMS_SCRIPT). */
  sbRenewClaims(stream: string, ...args: string[]): Promise<number>;
  /** KEYS: the lane stream; ARGV: group, consumer, minIdleMs (see FORGET_IDLE_CONSUMERS_SCRIPT). */
  sbForgetIdleConsumers(stream: string, ...args: (string | number)[]): Promise<number>;
}

/** A standalone/Sentinel client or a Cluster client: the store uses only what both offer. */
export type ScriptedRedis = (Redis | Cluster) & ScriptCommands;

/** A pipeline of a ScriptedRedis: the scripts queue on it like the built-in commands (replies come from exec). */
export type ScriptPipeline = ChainableCommander & { [Name in keyof ScriptCommands]: (...args: Parameters<ScriptCommands[Name]>) => ScriptPipeline };


/**
 * A not yet connected client for the store's settings: a Cluster client when cluster nodes are
 * given, otherwise a standalone one (through Sentinel when sentinels are given), with the store's
 * scripts defined on it.
 */
export function createRedisClient(settings: RedisStoreSettings): ScriptedRedis {
  const redis = createClientOnly(settings);
  redis.on('error', (error: Error) => log('warn', 'redis connection error', { error: error.message }));
  redis.defineCommand('sbEnqueue', { lua: ENQUEUE_SCRIPT });
  redis.defineCommand('sbClaim', { lua: CLAIM_SCRIPT });
  redis.defineCommand('sbRecordEvents', { lua: RECORD_EVENTS_SCRIPT });
  redis.defineCommand('sbRecordInbound', { lua: RECORD_INBOUND_SCRIPT });
  redis.defineCommand('sbRetryLater', { lua: RETRY_LATER_SCRIPT });
  redis.defineCommand('sbMoveDue', { lua: MOVE_DUE_SCRIPT });
  redis.defineCommand('sbDeadLetter', { lua: DEAD_LETTER_SCRIPT });
  redis.defineCommand('sbRenewClaims', { lua: RENEW_CLAIMS_SCRIPT, numberOfKeys: 1 });
  redis.defineCommand('sbForgetIdleConsumers', { lua: FORGET_IDLE_CONSUMERS_SCRIPT, numberOfKeys: 1 });
  return redis;
}

/** The ioredis client itself: fail fast while disconnected (no offline queue), reconnect by itself. */
function createClientOnly(settings: RedisStoreSettings): ScriptedRedis {
  const options = {
    lazyConnect: true,
    // Fail fast while disconnected instead of queueing commands without bound; ioredis reconnects by itself.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: settings.commandTimeoutMs,
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 2000),
  };
  const address = (hostPort: string) => ({ host: hostPort.slice(0, hostPort.lastIndexOf(':')), port: Number(hostPort.slice(hostPort.lastIndexOf(':') + 1)) });
  if (settings.clusterNodes.length > 0) {
    const url = new URL(settings.url);
    const auth = { ...(url.username ? { username: decodeURIComponent(url.username) } : {}), ...(url.password ? { password: decodeURIComponent(url.password) } : {}) };
    return new Cluster(settings.clusterNodes.map(address), {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 2000),
      redisOptions: { ...options, ...auth },
    }) as ScriptedRedis;
  }
  const sentinel = settings.sentinels.length > 0 ? { sentinels: settings.sentinels.map(address), name: settings.sentinelName } : {};
  return new Redis(settings.url, { ...options, ...sentinel }) as ScriptedRedis;
}

/** A Redis that may evict keys could drop queued messages or dedup keys silently: refuse it (on every primary of a cluster). */
export async function checkEvictionPolicy(redis: Redis | Cluster): Promise<void> {
  const primaries = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of primaries) {
    const reply = (await node.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy !== 'noeviction') {
      throw new Error(
        `Redis maxmemory-policy is "${policy}": it may evict queued messages. Set "maxmemory-policy noeviction" (CONFIG SET maxmemory-policy noeviction, and in redis.conf) before starting the gateway.`,
      );
    }
  }
}

/**
 * What the Redis setup does not give the durability the store was configured for (RELIABILITY
 * A3, A4): one warning per gap, for the node to log at start. Not refused, since development and
 * test Redis servers run without persistence on purpose. A Redis that does not allow CONFIG GET
 * (some managed services) gives no warnings.
 */
export async function durabilityWarnings(redis: Redis | Cluster, durability: 'local' | 'replicated'): Promise<string[]> {
  const warnings: string[] = [];
  const primaries = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of primaries) {
    const sentinelName = node.options.name;
    const where = node.options.sentinels !== undefined && node.options.sentinels !== null && sentinelName ? `the Redis primary of Sentinel "${sentinelName}"` : `Redis ${node.options.host ?? ''}:${node.options.port ?? ''}`;
    try {
      if (durability === 'replicated') {
        const replicas = Number(/connected_slaves:(\d+)/.exec(await node.info('replication'))?.[1] ?? 0);
        if (replicas === 0) warnings.push(`${where} has no replica connected: with store.durability "replicated" every send fails with UNAVAILABLE until one is`);
        continue;
      }
      const [, appendonly] = (await node.config('GET', 'appendonly')) as string[];
      const [, appendfsync] = (await node.config('GET', 'appendfsync')) as string[];
      if (appendonly !== 'yes') warnings.push(`${where} runs with appendonly ${appendonly}: a Redis restart loses every queued and acknowledged message; set "appendonly yes" and "appendfsync always", or store.durability "replicated"`);
      else if (appendfsync !== 'always') warnings.push(`${where} runs with appendfsync ${appendfsync}: a Redis crash loses up to a second of acknowledged messages; set "appendfsync always", or store.durability "replicated"`);
    } catch {
      // CONFIG or INFO not allowed here: nothing to say.
    }
  }
  return warnings;
}
