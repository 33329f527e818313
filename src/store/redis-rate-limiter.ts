import type { Cluster, Redis } from 'ioredis';
import type { RedisStoreSettings } from '../config/config.js';
import { createRedisClient } from './create-redis-client.js';

/**
 * A token bucket kept in Redis, shared by every gateway node: one EVAL per batch takes tokens for
 * the longest prefix of the batch that fits. Time is Redis's own (TIME), so node clocks do not
 * matter. Same rules as the local bucket (src/channels/token-bucket.ts): capacity one second of
 * tokens, non-urgent messages stop at the urgent reserve.
 *
 * KEYS[1] bucket hash {tokens, at}; ARGV: tps, capacity, floor (reserve for this lane), units...
 * Returns {granted, waitMs}.
 */
export const TAKE_TOKENS_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local floor = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil or at == nil then tokens = cap; at = now end
if now > at then
  tokens = math.min(cap, tokens + (now - at) * rate / 1000)
  at = now
end
local granted = 0
for i = 4, #ARGV do
  local u = tonumber(ARGV[i])
  local need = math.min(u, cap - floor)
  if tokens - need < floor then break end
  tokens = tokens - u
  granted = granted + 1
end
local wait = 0
if granted == 0 and #ARGV >= 4 then
  wait = math.ceil((floor + math.min(tonumber(ARGV[4]), cap - floor) - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], 60000)
return {granted, wait}
`;

type LimiterRedis = (Redis | Cluster) & { sbTakeTokens(key: string, ...args: (string | number)[]): Promise<[number, number]> };

/** One cluster-wide rate limit in Redis, a provider's TPS or a tenant's accept rate (the shape of channels' RateLimiter). */
export class RedisRateLimiter {
  private readonly key: string;
  private readonly reserved: number;

  constructor(
    private readonly redis: Redis | Cluster,
    keyPrefix: string,
    bucket: string,
    private readonly tps: number,
    urgentReserve: number,
  ) {
    // A hash tag per bucket: one slot in a cluster, and buckets spread over the slots.
    this.key = `${keyPrefix}:{${bucket}}`;
    this.reserved = tps * urgentReserve;
    defineTakeTokens(redis);
  }

  async tryTake(units: readonly number[], urgent: boolean): Promise<{ granted: number; waitMs: number }> {
    if (units.length === 0) return { granted: 0, waitMs: 0 };
    const [granted, waitMs] = await (this.redis as LimiterRedis).sbTakeTokens(this.key, this.tps, this.tps, urgent ? 0 : this.reserved, ...units);
    return { granted, waitMs };
  }

  /** The Redis client is shared by the node's limiters and closed by whoever made it. */
  async close(): Promise<void> {}
}

const defined = new WeakSet<object>();

function defineTakeTokens(redis: Redis | Cluster): void {
  if (defined.has(redis)) return;
  redis.defineCommand('sbTakeTokens', { lua: TAKE_TOKENS_SCRIPT, numberOfKeys: 1 });
  defined.add(redis);
}

/** The node's cluster-wide rate limiters: one Redis connection of their own, shared by every limiter. */
export interface RedisRateLimiters {
  /** A provider's TPS limit (key `<prefix>:{tps:<provider>}`). */
  forProvider(providerId: string, tps: number, urgentReserve: number): RedisRateLimiter;
  /** A tenant's accept rate (key `<prefix>:{accept:<tenant>}`). */
  forTenant(tenantId: string, perSecond: number, urgentReserve: number): RedisRateLimiter;
  close(): Promise<void>;
}

/** Connects the limiters' Redis client (same settings as the store; a separate connection, so store traffic does not delay pacing). */
export async function connectRedisRateLimiters(settings: RedisStoreSettings): Promise<RedisRateLimiters> {
  const redis = createRedisClient(settings);
  await redis.connect();
  return {
    forProvider: (providerId, tps, urgentReserve) => new RedisRateLimiter(redis, settings.keyPrefix, `tps:${providerId}`, tps, urgentReserve),
    forTenant: (tenantId, perSecond, urgentReserve) => new RedisRateLimiter(redis, settings.keyPrefix, `accept:${tenantId}`, perSecond, urgentReserve),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
