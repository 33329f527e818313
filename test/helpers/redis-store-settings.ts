import { randomUUID } from 'node:crypto';
import type { RedisStoreSettings } from '../../src/config/config.js';

/** Redis store settings for tests: a unique key prefix per call so tests never see each other's keys. */
export function redisStoreSettings(url: string, overrides: Partial<RedisStoreSettings> = {}): RedisStoreSettings {
  return {
    kind: 'redis',
    url,
    sentinels: [],
    sentinelName: '',
    clusterNodes: [],
    keyPrefix: `t${randomUUID().slice(0, 8)}`,
    shards: 2,
    durability: 'local',
    replicaWaitTimeoutMs: 100,
    commandTimeoutMs: 1000,
    claimIdleMs: 30_000,
    maxDeliveries: 10,
    maxQueuedMessages: 1_000_000,
    dedupWindowMs: 60_000,
    statusRetentionMs: 60_000,
    reportRetentionPerTenant: 10_000,
    encryption: null,
    ...overrides,
  };
}
