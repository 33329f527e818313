import type { ChannelName } from '../domain/channel.js';
import type { MessageKind, MessagePriority } from '../domain/message.js';
import type { VariableType } from './variable-types.js';

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
  /** How the dispatcher picks a channel's supplier for each message (main thread only). */
  readonly providerChoice: ProviderChoiceSettings;
}

export interface ProviderChoiceSettings {
  /** For each channel, its suppliers with weight and priority group, in config order. */
  readonly channels: Readonly<Partial<Record<ChannelName, readonly ChannelProvider[]>>>;
  /** Keep a recipient on one supplier of a group (hash of the number) while it is usable. */
  readonly stickyRecipients: boolean;
  /** Breaker and adaptive-weight thresholds by provider id. */
  readonly health: Readonly<Record<string, ProviderHealthSettings>>;
}

/** One supplier of one channel. */
export interface ChannelProvider {
  readonly providerId: string;
  /** Configured share inside its group (before health adjusts it). */
  readonly weight: number;
  /** Lower goes first: a group is used only when every lower group is unusable. */
  readonly group: number;
  /** Position in routing.channels.<channel>. */
  readonly order: number;
}

/** See providerHealth in schema.ts. */
export interface ProviderHealthSettings {
  readonly windowMs: number;
  readonly minRequests: number;
  readonly openErrorRate: number;
  readonly openTimeouts: number;
  readonly openCooldownMs: number;
  readonly maxOpenCooldownMs: number;
  readonly halfOpenProbes: number;
  readonly weightErrorRate: number;
  readonly reportTimeoutMs: number;
  readonly weightUndeliveredShare: number;
  readonly weightStep: number;
  readonly weightCooldownMs: number;
  readonly minWeightFactor: number;
}

export interface ServerSettings {
  readonly listen: string;
  readonly metricsListen: string | null;
  readonly maxReceiveMessageBytes: number;
  readonly maxConcurrentStreams: number;
  /** How long a SendStream waits for the client's next frame before it is closed. */
  readonly streamIdleTimeoutMs: number;
  /** How long a connection without calls stays open (grpc.max_connection_idle_ms). */
  readonly connectionIdleTimeoutMs: number;
  readonly shutdownGraceMs: number;
  readonly operatorApiKeys: readonly string[];
  /** TLS on the gRPC API; null for plaintext. */
  readonly tls: ServerTls | null;
  /** Certificate names operator calls must come with (mutual TLS); empty for any. */
  readonly operatorCertNames: readonly string[];
}

/** PEM files read again every refreshIntervalMs (certificate rotation without a restart). */
export interface ServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA of the clients' certificates; set, clients must present one (mutual TLS). */
  readonly clientCaFile: string | null;
  readonly refreshIntervalMs: number;
}

export interface ProviderTls {
  readonly caFile: string;
  /** The gateway's client certificate and key for mutual TLS; null for none. */
  readonly certFile: string | null;
  readonly keyFile: string | null;
  /** The name the supplier's certificate must carry; null for the host of the address. */
  readonly serverName: string | null;
  readonly refreshIntervalMs: number;
}

export type StoreSettings = MemoryStoreSettings | RedisStoreSettings;

export interface MemoryStoreSettings {
  readonly kind: 'memory';
  readonly maxQueuedMessages: number;
  readonly dedupWindowMs: number;
  readonly statusRetentionMs: number;
  readonly maxStatusRecords: number;
  readonly reportRetentionPerTenant: number;
  /** The heap size serve's GC pacing aims at (src/cli/gc-pacing.ts). */
  readonly heapBudgetMb: number;
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
  /** Sealing of message contents at rest; null for none. */
  readonly encryption: StoreEncryption | null;
}

export interface StoreEncryption {
  /** Every key a value may be sealed with: id and 32 bytes in base64. */
  readonly keys: readonly { readonly id: string; readonly key: string }[];
  /** The id of the key new values are sealed with. */
  readonly sealWith: string;
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
  /** Names one of which the call's client certificate must carry (mutual TLS); empty for any. */
  readonly clientCertNames: readonly string[];
  /** The tenant's admission rate (see the schema's tenants[].acceptRate); null for none. */
  readonly acceptRate: AcceptRate | null;
}

export interface AcceptRate {
  readonly perSecond: number;
  /** Share of a second's allowance kept for all-urgent Sends and frames. */
  readonly urgentReserve: number;
}

/** One supplier's connection settings; `kind` picks the connector (src/channels/registry.ts). */
export type ProviderSettings = GrpcProviderSettings | SmppProviderSettings;

export interface GrpcProviderSettings {
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
  /** TLS to the supplier; null for plaintext. */
  readonly tls: ProviderTls | null;
}

/** Data codings the SMPP connector can send Korean text in: UCS2 (data_coding 8) or KS C 5601 / EUC-KR (data_coding 0x0E). */
export type SmppDataCoding = 'ucs2' | 'ksc5601';

/** An SMS carrier's SMSC, spoken to over SMPP 3.4 as a transceiver. */
export interface SmppProviderSettings {
  readonly id: string;
  readonly kind: 'smpp';
  /** host:port of the SMSC. */
  readonly address: string;
  readonly channels: readonly ChannelName[];
  /** Most submit_sm PDUs (segments) sent and not yet answered. */
  readonly window: number;
  readonly connectTimeoutMs: number;
  readonly reconnectBackoffMs: number;
  readonly maxReconnectBackoffMs: number;
  readonly systemId: string;
  /** Resolved: from the file, or from the environment variable named by passwordEnv. */
  readonly password: string;
  readonly systemType: string;
  /** An enquire_link is sent after this long without any PDU from the SMSC. */
  readonly enquireLinkIntervalMs: number;
  /** How long a request (bind, submit_sm, enquire_link) waits for its response before the connection is treated as dead. */
  readonly responseTimeoutMs: number;
  readonly sourceTon: number;
  readonly sourceNpi: number;
  readonly destTon: number;
  readonly destNpi: number;
  readonly dataCoding: SmppDataCoding;
  /** Most SMSC message ids remembered for mapping delivery receipts back to messages; the oldest are forgotten first. */
  readonly maxTrackedReceipts: number;
  /** submit_sm PDUs (segments) per second across all nodes; 0 = no limit. */
  readonly tps: number;
  /** Share of the TPS kept for urgent messages. */
  readonly urgentReserve: number;
}

/** One channel's text of a template. Every text may hold {{placeholders}}. */
export interface TemplateVariant {
  /** LMS/MMS subject; push title. */
  readonly subject: string;
  readonly body: string;
  /** AlimTalk template code; '' for other channels. */
  readonly templateCode: string;
  /** AlimTalk/FriendTalk buttons; [] for none. */
  readonly buttons: readonly KakaoButton[];
  /** Push data payload; {} for none. */
  readonly data: Readonly<Record<string, string>>;
}

export interface KakaoButton {
  readonly type: string;
  readonly name: string;
  readonly linkMobile?: string | undefined;
  readonly linkPc?: string | undefined;
  readonly schemeIos?: string | undefined;
  readonly schemeAndroid?: string | undefined;
}

export interface TemplateDefinition {
  readonly id: string;
  /** The variable names, in declared order. */
  readonly variables: readonly string[];
  /** The declared type of each variable ("string" when none was given). */
  readonly variableTypes: Readonly<Record<string, VariableType>>;
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

/**
 * One routing rule (config routing.routes). A null condition matches every message; a list
 * matches any of its values. Plain data: it travels to the router's worker threads.
 */
export interface RouteRule {
  /** From config, or "routes[<index>]". */
  readonly name: string;
  readonly tenants: readonly string[] | null;
  readonly kinds: readonly MessageKind[] | null;
  readonly priorities: readonly MessagePriority[] | null;
  /** The message carries at least one of these. */
  readonly tags: readonly string[] | null;
  /** E.164 country calling codes with "+", e.g. "+82"; matched as a prefix of the recipient. */
  readonly countries: readonly string[] | null;
  /** Channels to try in order (fallback moves to the next). */
  readonly chain: readonly ChannelName[];
}

export interface RoutingTable {
  /** First match wins; empty: every message takes the default route (its own channel or defaultChannel). */
  readonly routes: readonly RouteRule[];
  readonly defaultChannel: ChannelName;
  /** For each channel, its providers, first choice first. */
  readonly channels: Readonly<Partial<Record<ChannelName, readonly string[]>>>;
  readonly templates: Readonly<Record<string, TemplateDefinition>>;
  readonly text: TextRules;
  /** By tenant id; tenants without one cannot send advertising. */
  readonly advertising: Readonly<Record<string, AdvertisingIdentity>>;
  readonly nightBan: NightBanSettings;
  /** Report-driven failover: how long a submitted message waits for its final report, by channel (absent: no limit). */
  readonly reportTimeoutsMs: Readonly<Partial<Record<ChannelName, number>>>;
  /** FAILED report codes that move a message to another supplier of the same channel, by channel. */
  readonly retryElsewhereCodes: Readonly<Partial<Record<ChannelName, readonly string[]>>>;
}
