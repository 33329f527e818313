import type { ChannelName } from '../domain/channel.js';

/**
 * The validated, compiled configuration. Built once by `parseConfig`, never mutated; a reload
 * builds a new one. Durations are in milliseconds and say so in their names.
 */
export interface Config {
  readonly server: ServerSettings;
  readonly store: StoreSettings;
  readonly limits: LimitSettings;
  readonly router: RouterSettings;
  readonly dispatcher: DispatcherSettings;
  /** Tenants by id. */
  readonly tenants: ReadonlyMap<string, Tenant>;
  /** Tenants by API key, for authentication. */
  readonly tenantsByApiKey: ReadonlyMap<string, Tenant>;
  readonly providers: readonly ProviderSettings[];
  /** What the router needs; plain data so it can be handed to worker threads. */
  readonly routing: RoutingTable;
}

export interface ServerSettings {
  readonly listen: string;
  readonly metricsListen: string | null;
  readonly maxReceiveMessageBytes: number;
  readonly maxConcurrentStreams: number;
  readonly shutdownGraceMs: number;
  readonly operatorApiKeys: readonly string[];
}

export type StoreSettings = MemoryStoreSettings | RedisStoreSettings;

export interface MemoryStoreSettings {
  readonly kind: 'memory';
  readonly maxQueuedMessages: number;
  readonly dedupWindowMs: number;
  readonly statusRetentionMs: number;
  readonly maxStatusRecords: number;
  readonly reportRetentionPerTenant: number;
}

export interface RedisStoreSettings {
  readonly kind: 'redis';
  readonly url: string;
  /** host:port of each sentinel; empty for a direct connection. */
  readonly sentinels: readonly string[];
  readonly sentinelName: string;
  /** host:port of Redis Cluster seed nodes; empty when not a cluster. */
  readonly clusterNodes: readonly string[];
  readonly keyPrefix: string;
  readonly shards: number;
  readonly durability: 'local' | 'replicated';
  readonly replicaWaitTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly claimIdleMs: number;
  readonly maxDeliveries: number;
  readonly maxQueuedMessages: number;
  readonly dedupWindowMs: number;
  readonly statusRetentionMs: number;
  readonly reportRetentionPerTenant: number;
}

export interface LimitSettings {
  readonly maxBatchSize: number;
  readonly maxBodyBytes: number;
  readonly maxVariableBytes: number;
  readonly defaultTtlMs: number;
  readonly maxTtlMs: number;
  readonly queueFullWaitMs: number;
}

export interface RouterSettings {
  /** Worker threads; 0 runs routing inline on the main thread. */
  readonly workers: number;
  readonly batchSize: number;
}

export interface DispatcherSettings {
  readonly concurrency: number;
  readonly retryBackoffMs: number;
  readonly maxRetryBackoffMs: number;
  /** Longest a message held by the night window waits in the queue before it is routed again. */
  readonly maxDeferWaitMs: number;
}

export interface Tenant {
  readonly id: string;
  /** Registered sender numbers, digits only; the first is the default. */
  readonly senderNumbers: readonly string[];
  readonly allowInternational: boolean;
}

export interface ProviderSettings {
  readonly id: string;
  readonly kind: 'grpc';
  readonly address: string;
  readonly channels: readonly ChannelName[];
  readonly window: number;
  readonly connectTimeoutMs: number;
  readonly reconnectBackoffMs: number;
  readonly maxReconnectBackoffMs: number;
  /** Separate HTTP/2 connections, each with its own Submit stream and window. */
  readonly connections: number;
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  /** A written message unanswered this long marks its connection as stalled. */
  readonly answerTimeoutMs: number;
  /** Billable segments per second across all nodes; 0 = no limit. */
  readonly tps: number;
  /** Share of TPS and window kept for urgent messages. */
  readonly urgentReserve: number;
}

/** One channel's text of a template. */
export interface TemplateVariant {
  readonly subject: string;
  readonly body: string;
  /** AlimTalk template code; '' for other channels. */
  readonly templateCode: string;
}

export interface TemplateDefinition {
  readonly id: string;
  readonly variables: readonly string[];
  /** Used on channels without a variant of their own. */
  readonly defaultVariant: TemplateVariant;
  readonly variants: Readonly<Partial<Record<ChannelName, TemplateVariant>>>;
}

/** Korean carrier rules for SMS/LMS/MMS text (EUC-KR byte counts). */
export interface TextRules {
  readonly smsMaxBytes: number;
  readonly lmsMaxBytes: number;
  readonly subjectMaxBytes: number;
  readonly lmsFallback: boolean;
  readonly unencodable: 'reject' | 'replace';
  readonly replacement: string;
  readonly foldLookalikes: boolean;
  readonly strictKsX1001: boolean;
}

/**
 * The advertising night window, in minutes after midnight KST (0 to 1439): "21:00" is 1260.
 * The same shape as the router's NightWindowSettings (router/korean/decide-night-window.ts).
 */
export interface NightBanSettings {
  /** The legal ban starts (정보통신망법 §50(3)); night consent lifts it. */
  readonly startMinuteKst: number;
  /** Every ban ends: advertising may go again. */
  readonly endMinuteKst: number;
  /** Kakao's FriendTalk cut starts; night consent does not lift it. */
  readonly friendtalkStartMinuteKst: number;
  /** A held message waits for the end of the window, or fails with AD_NIGHT_BAN. */
  readonly mode: 'defer' | 'reject';
}

/** A tenant's advertising identity. */
export interface AdvertisingIdentity {
  readonly senderName: string;
  readonly optOutLine: string;
}

export interface RoutingTable {
  readonly defaultChannel: ChannelName;
  /** For each channel, its providers, first choice first. */
  readonly channels: Readonly<Partial<Record<ChannelName, readonly string[]>>>;
  readonly templates: Readonly<Record<string, TemplateDefinition>>;
  readonly text: TextRules;
  /** By tenant id; tenants without one cannot send advertising. */
  readonly advertising: Readonly<Record<string, AdvertisingIdentity>>;
  readonly nightBan: NightBanSettings;
}
