import { z } from 'zod';
import { CHANNELS, isChannelName } from '../domain/channel.js';
import { parseDurationMs } from './duration.js';
import { VARIABLE_TYPES } from './variable-types.js';

/** A duration in config: "30s", "5m", "24h" or a number of milliseconds. Becomes milliseconds. */
const duration = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const ms = parseDurationMs(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration; use e.g. "500ms", "30s", "5m", "24h"` });
    return z.NEVER;
  }
  return ms;
});

/** host:port, with the host required so nothing listens on every interface by accident. */
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'must be "host:port", e.g. "127.0.0.1:50051"');
const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, "-" or "_", at most 63 characters');
const channel = z.enum(CHANNELS);
const digits = z.string().regex(/^\d{3,15}$/, 'must be 3 to 15 digits, e.g. "15880000"');

const pemFile = z.string().min(1, 'must be the path of a PEM file');
const certificateRefresh = duration.refine((ms) => ms > 0, 'must be longer than 0, e.g. "1m"').default(60_000);

/**
 * TLS on the gateway's gRPC API. The files are read again every `refreshInterval`, so a renewed
 * certificate (or CA) applies to new connections without a restart; a read that fails or finds a
 * key that does not match its certificate keeps the last good files (and logs a warning).
 */
const serverTlsSchema = z
  .object({
    /** The certificate chain the gateway presents (PEM, leaf first). */
    certFile: pemFile,
    /** Its private key (PEM). */
    keyFile: pemFile,
    /**
     * CA certificates (PEM) that sign the clients' certificates. Set, every client must present a
     * valid one (mutual TLS); tenants[].clientCertNames can then tie a tenant to its certificates.
     */
    clientCaFile: pemFile.optional(),
    refreshInterval: certificateRefresh,
  })
  .strict();

const serverSchema = z
  .object({
    /** Where the gateway's gRPC API listens. */
    listen: hostPort.default('127.0.0.1:50051'),
    /** Where Prometheus metrics are served over HTTP; absent to serve none. */
    metricsListen: hostPort.optional(),
    /** Largest request frame accepted (grpc.max_receive_message_length). */
    maxReceiveMessageBytes: z.number().int().min(1024).default(4 * 1024 * 1024),
    /** Concurrent streams per client connection (grpc.max_concurrent_streams). */
    maxConcurrentStreams: z.number().int().min(1).default(100),
    /**
     * How long a SendStream waits for the client's next frame before it is closed with
     * DEADLINE_EXCEEDED (every frame before is answered first), so streams that clients opened and
     * forgot do not hold the node's resources. WatchReports streams are the server's to write and
     * are not timed out: a vanished client's connection fails its keepalive pings instead.
     */
    streamIdleTimeout: duration.refine((ms) => ms > 0, 'must be longer than 0, e.g. "5m"').default(300_000),
    /**
     * How long a client connection with no call open stays open (grpc.max_connection_idle_ms); the
     * server then closes it with GOAWAY and the client reconnects on its next call.
     */
    connectionIdleTimeout: duration.refine((ms) => ms > 0, 'must be longer than 0, e.g. "30m"').default(1_800_000),
    /** How long SIGTERM waits for in-flight work before closing streams. */
    shutdownGrace: duration.default(10_000),
    /** TLS (and mutual TLS) on the gRPC API; absent, it is plaintext (for loopback and development). */
    tls: serverTlsSchema.optional(),
    /**
     * With server.tls.clientCaFile: the names (certificate subject CN, or a DNS, URI or email
     * subject alternative name) of the certificates operator calls must come with, besides an
     * operator key; empty for any certificate the CA signed.
     */
    operatorCertNames: z.array(z.string().min(1)).default([]),
    /** Keys for operator calls (GatewayAdmin.ReloadConfig), in metadata x-api-key; none by default. */
    operatorApiKeys: z.array(z.string().min(16, 'must be at least 16 characters')).default([]),
  })
  .strict();

const memoryStoreSchema = z
  .object({
    kind: z.literal('memory'),
    /**
     * Most messages queued or in flight. When it is reached, SendStream frames are held (HTTP/2 flow
     * control slows the client to the delivery rate) for up to limits.queueFullWait, then refused
     * with QUEUE_FULL, as are unary sends. A queued message costs about 0.7 KB of heap here and is
     * lost if the process dies, so the bound is a backlog of seconds, not a campaign: large
     * backlogs belong in the Redis store.
     */
    maxQueuedMessages: z.number().int().min(1).default(100_000),
    /**
     * How long a client_ref is remembered to drop duplicate submissions. The memory store keeps at
     * most maxStatusRecords of them (about 0.1 KB each, outside the JavaScript heap: see
     * ClientRefWindow), so at a high rate the window is
     * shorter: 1,000,000 refs last about 33 s at 30,000 msgs/s.
     */
    dedupWindow: duration.default(86_400_000),
    /** How long a message's status stays queryable after its last change. */
    statusRetention: duration.default(86_400_000),
    /**
     * Most status records kept; the oldest are forgotten first, packed ones before the others. A
     * finished message's record is packed, about 80 bytes outside the JavaScript heap (see
     * PackedStatusTable): 80 MB at the default. One on its way (e.g. waiting for its delivery
     * report) is an object of about 0.4 KB in the heap; past maxQueuedMessages on their way, the
     * oldest of those are packed too.
     */
    maxStatusRecords: z.number().int().min(1).default(1_000_000),
    /** Most reports kept per tenant for WatchReports; the oldest are dropped first. */
    reportRetentionPerTenant: z.number().int().min(1).default(100_000),
    /**
     * The heap size in MB that `switchboard serve` paces V8's garbage collector for (see
     * src/cli/gc-pacing.ts): V8's own growth step while even its largest (4x the live data) stays
     * within it, smaller steps (at least 20%) past that. Not a cap: a bigger backlog still fits, at
     * more GC CPU. Raise it on a node with memory to spare, lower it in a tight container.
     */
    heapBudgetMb: z.number().int().min(16).default(192),
  })
  .strict();

/**
 * A key that seals message contents in Redis (store.encryption): 32 bytes for AES-256-GCM, in
 * base64 (e.g. `openssl rand -base64 32`), given in the file or, better, in the environment
 * variable that keyEnv names.
 */
const storeKeySchema = z
  .object({
    /** Names the key in every sealed value, so older values are still opened after a rotation. */
    id,
    key: z
      .string()
      .refine((k) => /^[A-Za-z0-9+/]+={0,2}$/.test(k) && Buffer.from(k, 'base64').length === 32, 'must be 32 bytes in base64, e.g. from "openssl rand -base64 32"')
      .optional(),
    keyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name, e.g. "SWITCHBOARD_STORE_KEY"').optional(),
  })
  .strict()
  .refine((k) => k.key !== undefined || k.keyEnv !== undefined, { message: 'give key or keyEnv', path: ['key'] })
  // The environment is applied before validation (apply-environment.ts): a keyEnv left here was not set.
  .refine((k) => k.keyEnv === undefined, { message: 'the environment variable keyEnv names is not set', path: ['keyEnv'] });

/**
 * Message contents sealed in Redis with AES-256-GCM: the queued messages (recipient, text,
 * variables), fallback plans and inbound replies, so a Redis dump, replica or AOF file holds no
 * phone number or text in the clear. Status records and delivery reports hold none to begin with.
 */
const storeEncryptionSchema = z
  .object({
    /** Every key a value may be sealed with; keep an old key until the values it sealed are gone. */
    keys: z.array(storeKeySchema).min(1),
    /** The key new values are sealed with; default the first. */
    sealWith: id.optional(),
  })
  .strict()
  .refine((e) => e.sealWith === undefined || e.keys.some((k) => k.id === e.sealWith), { message: 'must be the id of one of the keys', path: ['sealWith'] })
  .refine((e) => new Set(e.keys.map((k) => k.id)).size === e.keys.length, { message: 'key ids must differ', path: ['keys'] });

const redisStoreSchema = z
  .object({
    kind: z.literal('redis'),
    /** redis://[user:password@]host:port[/db]; REDIS_URL overrides it. */
    url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    /** Sentinels to ask for the primary (host:port each); with sentinelName, url then only supplies password/db. */
    sentinels: z.array(hostPort).optional(),
    sentinelName: z.string().optional(),
    /** Redis Cluster seed nodes (host:port each); url then only supplies user/password. */
    cluster: z.array(hostPort).min(1).optional(),
    /** Prefix of every key, so several deployments can share one Redis. */
    keyPrefix: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1 to 32 letters, digits, "-" or "_"').default('sb'),
    /** Queue shards; each is its own hash tag, so shards spread over a Redis Cluster. */
    shards: z.number().int().min(1).max(256).default(4),
    /**
     * When a send is acknowledged: "local" once Redis has the write (run Redis with appendonly yes and
     * appendfsync always for no loss on a Redis crash), "replicated" once WAIT confirms every
     * replica in sync with the primary has it (at least one).
     */
    durability: z.enum(['local', 'replicated']).default('local'),
    /** How long "replicated" waits for a replica before the send fails with UNAVAILABLE. */
    replicaWaitTimeout: duration.default(100),
    /** Every Redis command fails after this long, so a frozen Redis surfaces as UNAVAILABLE, not a hang. */
    commandTimeout: duration.default(2000),
    /** A claimed message idle this long (its node died) is claimed by another node. */
    claimIdle: duration.default(30_000),
    /** Times a message may be taken over from nodes that stopped while holding it before it moves to the dead-letter stream. */
    maxDeliveries: z.number().int().min(1).default(10),
    maxQueuedMessages: z.number().int().min(1).default(10_000_000),
    dedupWindow: duration.default(86_400_000),
    statusRetention: duration.default(86_400_000),
    /** Report-stream entries kept per tenant and shard; an entry holds the reports written together (up to a batch). */
    reportRetentionPerTenant: z.number().int().min(1).default(100_000),
    /** Seal message contents at rest; absent, they are stored in the clear. */
    encryption: storeEncryptionSchema.optional(),
  })
  .strict()
  .refine((s) => (s.sentinels === undefined) === (s.sentinelName === undefined), {
    message: 'sentinels and sentinelName go together',
    path: ['sentinelName'],
  })
  .refine((s) => s.cluster === undefined || s.sentinels === undefined, { message: 'use either cluster or sentinels, not both', path: ['cluster'] })
  // WAIT confirms replicas of the connection's own node; a cluster spreads one batch over many nodes.
  .refine((s) => s.cluster === undefined || s.durability !== 'replicated', {
    message: 'durability "replicated" is not supported with cluster yet; use "local" with appendfsync always',
    path: ['durability'],
  });

const limitsSchema = z
  .object({
    /** Most messages in one SendStream frame. */
    maxBatchSize: z.number().int().min(1).max(10_000).default(1000),
    /** Largest raw body, in UTF-8 bytes. */
    maxBodyBytes: z.number().int().min(1).default(4000),
    /** Largest value of one template variable, in UTF-8 bytes. */
    maxVariableBytes: z.number().int().min(1).default(1000),
    /** TTL of a message that gives none. */
    defaultTtl: duration.default(86_400_000),
    /** Longest TTL a message may ask for. */
    maxTtl: duration.default(7 * 86_400_000),
    /**
     * How long SendStream holds a frame while the queue is full, trying again, before acking the
     * rest QUEUE_FULL. While it holds, it reads nothing more, so HTTP/2 flow control slows the client.
     */
    queueFullWait: duration.default(5_000),
  })
  .strict();

const routerSchema = z
  .object({
    /** Worker threads for rendering and routing: a number, "auto" (cores - 1, at least 1), or 0 to run inline. */
    workers: z
      .union([z.number().int().min(0).max(64), z.literal('auto')], { error: 'must be a number of threads from 0 to 64, or "auto"' })
      .default(0),
    /** Messages per router task. */
    batchSize: z.number().int().min(1).max(10_000).default(500),
  })
  .strict();

const dispatcherSchema = z
  .object({
    /** Batches routed and submitted at the same time. */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** First wait before a message that a provider could not take is tried again. */
    retryBackoff: duration.default(500),
    /** Longest wait between tries. */
    maxRetryBackoff: duration.default(30_000),
    /**
     * Longest a message held by the advertising night window waits before it is routed again (and
     * held again if the window has not ended). The wait runs on the host's timers, the window on the
     * wall clock: this bounds how late a held message can go after a clock step or a changed window,
     * at the cost of one re-route per held message per interval.
     */
    maxDeferWait: duration.refine((ms) => ms > 0, 'must be longer than 0, e.g. "1h"').default(3_600_000),
  })
  .strict();

const tenantSchema = z
  .object({
    id,
    /** Keys that authenticate callers as this tenant (metadata x-api-key). */
    apiKeys: z.array(z.string().min(16, 'must be at least 16 characters')).min(1),
    /** Pre-registered sender numbers (발신번호 사전등록); the first is the default. */
    senderNumbers: z.array(digits).min(1),
    /** Whether recipients outside Korea (+82) are accepted. */
    allowInternational: z.boolean().default(false),
    /**
     * The tenant's advertising identity: advertising SMS/LMS get "(광고)<senderName>" at the start
     * and the free opt-out line at the end. Without it, advertising messages are refused.
     */
    advertising: z
      .object({
        senderName: z.string().min(1),
        /** e.g. "무료수신거부 080-123-4567". */
        optOutLine: z.string().regex(/080-?\d{3,4}-?\d{4}/, 'must contain the free 080 opt-out number, e.g. "무료수신거부 080-123-4567"'),
      })
      .strict()
      .optional(),
    /**
     * With server.tls.clientCaFile: the names (certificate subject CN, or a DNS, URI or email
     * subject alternative name) of the client certificates this tenant's calls must come with.
     * A call with the tenant's API key and another certificate is refused with PERMISSION_DENIED,
     * so a leaked key is of no use without the tenant's certificate. Empty: any certificate the CA
     * signed.
     */
    clientCertNames: z.array(z.string().min(1)).default([]),
    /**
     * Most messages a second the tenant may submit: over all gateway nodes with the Redis store, on
     * the one node with the memory store. A SendStream over it is held (HTTP/2 flow control slows
     * the client to the rate; nothing is refused); a Send over it fails with RESOURCE_EXHAUSTED and
     * a retry hint. Up to one second's worth may come at once. The last `urgentReserve` of that
     * second is kept for Sends and frames whose messages are all urgent, so the tenant's own bulk
     * does not starve its OTPs. Absent: no limit.
     */
    acceptRate: z
      .object({
        perSecond: z.number().positive('must be more than 0 messages a second, e.g. 500'),
        urgentReserve: z.number().min(0, 'must be 0 or more').max(0.9, 'must be at most 0.9, so non-urgent messages get some of each second').default(0.1),
      })
      .strict()
      .optional(),
  })
  .strict();

const share = z.number().min(0).max(1);

/**
 * When a supplier counts as unhealthy. The breaker opens on the error rate (retryable rejections,
 * plus one per provider batch that timed out or lost its stream) over `window` once it saw
 * `minRequests`, or when `openTimeouts` provider batches in a row timed out or lost their stream; after `openCooldown` (doubling while probes keep failing, up to `maxOpenCooldown`)
 * it lets `halfOpenProbes` messages through and closes when they all succeed. Apart from the
 * breaker, a supplier whose error rate passes `weightErrorRate` or whose share of messages without
 * a final report after `reportTimeout` passes `weightUndeliveredShare` loses `weightStep` of its
 * configured weight every `weightCooldown` (down to `minWeightFactor`), and gains it back the same
 * way once both are under their thresholds.
 */
const providerHealthFields = {
  window: duration.refine((ms) => ms > 0, 'must be longer than 0, e.g. "30s"'),
  minRequests: z.number().int().min(1),
  openErrorRate: share,
  openTimeouts: z.number().int().min(1),
  openCooldown: duration,
  maxOpenCooldown: duration,
  halfOpenProbes: z.number().int().min(1),
  weightErrorRate: share,
  reportTimeout: duration.refine((ms) => ms > 0, 'must be longer than 0, e.g. "5m"'),
  weightUndeliveredShare: share,
  weightStep: z.number().gt(0).max(1),
  weightCooldown: duration,
  minWeightFactor: z.number().gt(0).max(1),
};
const PROVIDER_HEALTH_DEFAULTS = {
  window: 30_000,
  minRequests: 20,
  openErrorRate: 0.5,
  openTimeouts: 5,
  openCooldown: 10_000,
  maxOpenCooldown: 120_000,
  halfOpenProbes: 5,
  weightErrorRate: 0.1,
  reportTimeout: 300_000,
  weightUndeliveredShare: 0.2,
  weightStep: 0.25,
  weightCooldown: 30_000,
  minWeightFactor: 0.1,
};
const providerHealthSchema = z
  .object(providerHealthFields)
  .partial()
  .strict()
  .transform((h) => ({ ...PROVIDER_HEALTH_DEFAULTS, ...Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) }) as { [K in keyof typeof PROVIDER_HEALTH_DEFAULTS]: number });
/** A provider's own thresholds: only what it sets; the rest comes from providerHealth. */
const providerHealthOverrideSchema = z.object(providerHealthFields).partial().strict();

/** TLS to a gRPC supplier. The files are read again every `refreshInterval` (renewed certificates apply to new connections). */
const providerTlsSchema = z
  .object({
    /** CA certificates (PEM) that sign the supplier's server certificate. */
    caFile: pemFile,
    /** The gateway's client certificate chain and key (PEM), for suppliers that require mutual TLS; both or neither. */
    certFile: pemFile.optional(),
    keyFile: pemFile.optional(),
    /** The name the supplier's certificate must carry, when it is not the host of `address`. */
    serverName: z.string().min(1).optional(),
    refreshInterval: certificateRefresh,
  })
  .strict()
  .refine((tls) => (tls.certFile === undefined) === (tls.keyFile === undefined), { message: 'certFile and keyFile go together: give both for mutual TLS, or neither', path: ['certFile'] });

const grpcProviderSchema = z
  .object({
    id,
    kind: z.literal('grpc'),
    /** The supplier's ChannelProvider server. */
    address: hostPort,
    channels: z.array(channel).min(1),
    /** Most messages sent and not yet answered. */
    window: z.number().int().min(1).max(100_000).default(1000),
    /** How long submit waits for a connection before handing messages back for a later try. */
    connectTimeout: duration.default(2000),
    /** First and longest wait between reconnect attempts (exponential with jitter). */
    reconnectBackoff: duration.default(200),
    maxReconnectBackoff: duration.default(10_000),
    /** Separate HTTP/2 connections to the provider, each with its own Submit stream and window. */
    connections: z.number().int().min(1).max(64).default(1),
    /** HTTP/2 keepalive pings: how often on an idle connection, and how long to wait for the answer before the connection counts as dead. */
    keepaliveTime: duration.default(10_000),
    keepaliveTimeout: duration.default(5_000),
    /** A message written and not answered within this time counts its connection as stalled: the connection is replaced and its unanswered messages fail over. */
    answerTimeout: duration.default(30_000),
    /** Billable segments per second the provider's contract allows, across all gateway nodes; 0 = no limit. */
    tps: z.number().int().min(0).max(1_000_000).default(0),
    /** Share of the TPS and of each connection's window that only urgent messages may use, so bulk never takes the last of them. */
    urgentReserve: z.number().min(0).max(0.9).default(0.2),
    /** Overrides of providerHealth for this supplier (breaker and adaptive-weight thresholds). */
    health: providerHealthOverrideSchema.optional(),
    /** TLS to the supplier; absent, the link is plaintext. */
    tls: providerTlsSchema.optional(),
  })
  .strict();

/** A TON or NPI value of SMPP 3.4 (5.2.5, 5.2.6). */
const smppAddressByte = z.number().int().min(0).max(255);

const smppProviderSchema = z
  .object({
    id,
    kind: z.literal('smpp'),
    /** The SMSC. */
    address: hostPort,
    /** SMPP carries text only. */
    channels: z.array(z.enum(['sms', 'lms'], { error: 'must be "sms" or "lms": SMPP carries text messages only' })).min(1),
    /** Most submit_sm PDUs (segments) sent and not yet answered; carriers usually allow 1 to 50. */
    window: z.number().int().min(1).max(1000).default(10),
    /** bind_transceiver credentials (SMPP 3.4 limits: system_id 15, password 8, system_type 12 characters). */
    systemId: z.string().min(1).max(15),
    password: z.string().max(8).optional(),
    /** The name of an environment variable holding the password, to keep it out of the file; it wins over password. */
    passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name, e.g. "KT_SMPP_PASSWORD"').optional(),
    systemType: z.string().max(12).default(''),
    /** An enquire_link is sent after this long without traffic from the SMSC. */
    enquireLinkInterval: duration.refine((ms) => ms > 0, 'must be longer than 0, e.g. "30s"').default(30_000),
    /** How long bind, submit_sm and enquire_link wait for their response before the connection counts as dead. */
    responseTimeout: duration.refine((ms) => ms > 0, 'must be longer than 0, e.g. "10s"').default(10_000),
    /** How long submit waits for a bound connection before handing messages back for a later try. */
    connectTimeout: duration.default(2000),
    /** First and longest wait between reconnect attempts (exponential with jitter). */
    reconnectBackoff: duration.default(200),
    maxReconnectBackoff: duration.default(10_000),
    /** source_addr_ton/npi of submit_sm: 5/0 alphanumeric, 0/1 or 2/1 for a domestic number such as 15880000. */
    sourceTon: smppAddressByte.default(0),
    sourceNpi: smppAddressByte.default(1),
    /** dest_addr_ton/npi: 1/1 international E.164 (the gateway normalises recipients to E.164). */
    destTon: smppAddressByte.default(1),
    destNpi: smppAddressByte.default(1),
    /** How Korean text goes on the wire: "ucs2" (data_coding 8, 70 characters per SMS) or "ksc5601" (EUC-KR, data_coding 0x0E, 140 bytes). */
    dataCoding: z.enum(['ucs2', 'ksc5601'], { error: 'must be "ucs2" or "ksc5601"' }).default('ucs2'),
    /** Most SMSC message ids remembered to map delivery receipts back to messages. */
    maxTrackedReceipts: z.number().int().min(1).default(200_000),
    /**
     * submit_sm PDUs per second the carrier allows on this account (a long message counts each
     * segment), across all gateway nodes with the Redis store; 0 = no limit. Over it, SMSCs answer
     * ESME_RTHROTTLED or drop the bind.
     */
    tps: z.number().int().min(0).max(100_000).default(0),
    /** Share of the TPS that only urgent messages may use, so bulk never takes the last of it. */
    urgentReserve: z.number().min(0).max(0.9).default(0.2),
    /** Overrides of providerHealth for this supplier (breaker and adaptive-weight thresholds). */
    health: providerHealthOverrideSchema.optional(),
  })
  .strict()
  .refine((p) => p.password !== undefined || p.passwordEnv !== undefined, { message: 'give password or passwordEnv', path: ['password'] })
  // The environment is applied before validation (apply-environment.ts): a passwordEnv left here was not set.
  .refine((p) => p.passwordEnv === undefined, {
    message: 'the environment variable it names is not set',
    path: ['passwordEnv'],
    when: (payload) => payload.issues.length === 0,
  });

/** A KakaoTalk message button (AlimTalk/FriendTalk); its texts may hold {{placeholders}}. */
const kakaoButtonSchema = z
  .object({
    /** Kakao's button type: WL web link, AL app link, DS delivery search, BK bot keyword, MD message delivery, BC/BT consultation/bot talk, AC add channel. */
    type: z.enum(['WL', 'AL', 'DS', 'BK', 'MD', 'BC', 'BT', 'AC']),
    name: z.string().min(1).max(28),
    linkMobile: z.string().optional(),
    linkPc: z.string().optional(),
    schemeIos: z.string().optional(),
    schemeAndroid: z.string().optional(),
  })
  .strict();

const templateVariantSchema = z
  .object({
    /** LMS/MMS subject line. */
    subject: z.string().optional(),
    /** The text (push: the notification body). */
    body: z.string().min(1),
    /** AlimTalk: the approved template code. */
    templateCode: z.string().optional(),
    /** AlimTalk/FriendTalk buttons, in order (Kakao allows up to 5). */
    buttons: z.array(kakaoButtonSchema).max(5).optional(),
    /** Push: the notification title. */
    title: z.string().optional(),
    /** Push: the data payload handed to the app, values may hold {{placeholders}}. */
    data: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, ".", "-" or "_"'), z.string()).optional(),
  })
  .strict();

const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be an identifier');

const templateSchema = z
  .object({
    id,
    /**
     * The variables the template takes; a message must give exactly these. A name alone is a
     * string; `{ name, type }` declares a type the value is checked against (number, amount, date).
     */
    variables: z
      .array(z.union([variableName, z.object({ name: variableName, type: z.enum(VARIABLE_TYPES).default('string') }).strict()]))
      .default([]),
    subject: z.string().optional(),
    /** The default text, used on any channel without its own variant. */
    body: z.string().min(1),
    /** Per-channel variants. */
    channels: z.partialRecord(channel, templateVariantSchema).default({}),
  })
  .strict();

/** Korean carrier rules for SMS/LMS/MMS text, counted in EUC-KR bytes (Hangul is 2 bytes). */
const textRulesSchema = z
  .object({
    smsMaxBytes: z.number().int().min(1).default(90),
    lmsMaxBytes: z.number().int().min(1).default(2000),
    subjectMaxBytes: z.number().int().min(1).default(40),
    /** An SMS whose text is past smsMaxBytes goes as LMS (when LMS has providers) instead of failing. */
    lmsFallback: z.boolean().default(true),
    /** Characters EUC-KR cannot encode (emoji, most symbols): refuse the message, or replace them. */
    unencodable: z.enum(['reject', 'replace']).default('reject'),
    /** What an unencodable character becomes with "replace". */
    replacement: z.string().default('?'),
    /** Map look-alikes first (no-break space to space, fancy dashes to "-", zero-width and direction marks removed). */
    foldLookalikes: z.boolean().default(true),
    /** Accept only KS X 1001 (strict EUC-KR), refusing CP949 extension Hangul such as 갂, for carriers that need it. */
    strictKsX1001: z.boolean().default(false),
  })
  .strict();

/** A wall-clock time in Korea, "HH:MM" (00:00 to 23:59). Becomes minutes after midnight KST. */
function kstTime(example: string) {
  const message = `must be HH:MM in KST, e.g. "${example}"`;
  return z
    .string({ error: message })
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, message)
    .transform((value) => Number(value.slice(0, 2)) * 60 + Number(value.slice(3, 5)));
}

/** Minutes from `fromMinute` forward to `toMinute` on a 24-hour clock: the length of a window. */
const minutesUntil = (fromMinute: number, toMinute: number): number => (toMinute - fromMinute + 1440) % 1440;

/**
 * When advertising is not sent (정보통신망법 §50(3): 21:00 to 08:00 without the recipient's separate
 * consent). A window whose start is after its end runs across midnight.
 */
const nightBanSchema = z
  .object({
    /** The legal ban starts; night consent (Message.night_consent) lifts it. */
    start: kstTime('21:00').default(21 * 60),
    /** Every ban ends, FriendTalk's too: deferred advertising goes out from here. */
    end: kstTime('08:00').default(8 * 60),
    /** Kakao's FriendTalk advertising cut starts, earlier than the law's; night consent does not lift it. */
    friendtalkStart: kstTime('20:00').default(20 * 60),
    /** "defer": a held message stays queued and goes out at `end`; "reject": it fails with AD_NIGHT_BAN. */
    mode: z.enum(['defer', 'reject'], { error: 'must be "defer" or "reject"' }).default('defer'),
  })
  .strict()
  // FriendTalk advertising is advertising too: its window may start earlier, never later.
  .refine((ban) => minutesUntil(ban.friendtalkStart, ban.end) >= minutesUntil(ban.start, ban.end), {
    message: 'must not be later than start: FriendTalk advertising is held at least whenever advertising is',
    path: ['friendtalkStart'],
    // Only once every time is valid: a malformed one is reported by itself, not again through this rule.
    when: (payload) => payload.issues.length === 0,
  });

/**
 * One supplier of a channel: a bare provider id, or an object with its weight and priority group.
 * A bare id is a group of its own after the entry before it, so `[a, b]` means "a, and b when a
 * cannot be used", as it always did; an object's group defaults to 1 (primary).
 */
const channelProviderSchema = z.union([
  id,
  z
    .object({
      provider: id,
      /** Share of the group's traffic, relative to the other members' weights. */
      weight: z.number().gt(0).max(1_000_000).default(1),
      /** Lower goes first; a group is used only when every lower one is unusable. `group` is a short form. */
      priorityGroup: z.number().int().min(0).max(1000).optional(),
      group: z.number().int().min(0).max(1000).optional(),
    })
    .strict(),
]);

/** A channel name in a route's chain, reported with the name as written ("unknown channel \"kakao_alimtak\""). */
const chainChannel = z.string().transform((value, ctx) => {
  if (isChannelName(value)) return value;
  ctx.addIssue({ code: 'custom', message: `unknown channel "${value}" (known: ${CHANNELS.join(', ')})` });
  return z.NEVER;
});

/**
 * One routing rule: the first rule (in file order) whose every given condition holds decides the
 * message's channel chain. A condition left out matches every message; a list matches any of its values.
 */
const routeSchema = z
  .object({
    /** Shown in route explanations and GetStatus; default "routes[<index>]". */
    name: z.string().min(1).max(64).optional(),
    match: z
      .object({
        tenants: z.array(id).min(1).optional(),
        kinds: z.array(z.enum(['informational', 'advertising'])).min(1).optional(),
        priorities: z.array(z.enum(['urgent', 'normal', 'bulk'])).min(1).optional(),
        /** The message carries at least one of these tags. */
        tags: z.array(z.string().min(1)).min(1).optional(),
        /** The recipient's E.164 country calling code, e.g. "+82" (Korea), "+1". */
        countries: z.array(z.string().regex(/^\+[1-9]\d{0,3}$/, 'must be a country calling code, e.g. "+82"')).min(1).optional(),
      })
      .strict()
      .default({}),
    /** The channels to try in order: the next one is used when the message fails on one (FALLBACK). */
    chain: z.array(chainChannel).min(1),
  })
  .strict();

const routingSchema = z
  .object({
    /** Ordered routing rules; without any (or when none matches) a message goes on its own channel or defaultChannel. */
    routes: z.array(routeSchema).default([]),
    /** The channel used when a message names none. */
    defaultChannel: channel.default('sms'),
    /** For each channel, the providers that carry it: bare ids first choice first, or {provider, weight, group}. */
    channels: z.partialRecord(channel, z.array(channelProviderSchema).min(1)),
    /** Keep each recipient on the same supplier of a group (by a hash of the number) while it is usable. */
    stickyRecipients: z.boolean().default(false),
    text: textRulesSchema.default(textRulesSchema.parse({})),
    nightBan: nightBanSchema.default(nightBanSchema.parse({})),
    /**
     * Report-driven failover: per channel, how long a submitted message may wait for its final
     * delivery report before it moves on (next supplier of the channel, else next channel of its
     * chain, else FAILED with REPORT_TIMEOUT). Channels without one wait as long as it takes.
     */
    reportTimeouts: z.partialRecord(channel, duration.refine((ms) => ms > 0, 'must be longer than 0, e.g. "30s"')).default({}),
    /** Per channel, FAILED report codes that send the message to another supplier of the channel (not yet tried) before the next channel. */
    retryElsewhereCodes: z.partialRecord(channel, z.array(z.string().min(1, 'must not be empty'))).default({}),
  })
  .strict();

export const configSchema = z
  .object({
    server: serverSchema.default(serverSchema.parse({})),
    store: z.discriminatedUnion('kind', [memoryStoreSchema, redisStoreSchema]).default(memoryStoreSchema.parse({ kind: 'memory' })),
    limits: limitsSchema.default(limitsSchema.parse({})),
    router: routerSchema.default(routerSchema.parse({})),
    dispatcher: dispatcherSchema.default(dispatcherSchema.parse({})),
    tenants: z.array(tenantSchema).min(1),
    providers: z.array(z.discriminatedUnion('kind', [grpcProviderSchema, smppProviderSchema])).min(1),
    routing: routingSchema,
    /** Breaker and adaptive-weight thresholds for every provider; providers[i].health overrides them. */
    providerHealth: providerHealthSchema.default(providerHealthSchema.parse({})),
    templates: z.array(templateSchema).default([]),
  })
  .strict();

/** The config file as the schema reads it (durations already in milliseconds). */
export type ConfigInput = z.output<typeof configSchema>;
export type GrpcProviderConfig = z.output<typeof grpcProviderSchema>;
export type SmppProviderConfig = z.output<typeof smppProviderSchema>;
export type ProviderConfig = ConfigInput['providers'][number];
export type MemoryStoreConfig = z.output<typeof memoryStoreSchema>;
export type RedisStoreConfig = z.output<typeof redisStoreSchema>;
export type TenantConfig = z.output<typeof tenantSchema>;
export type ChannelProviderConfig = z.output<typeof channelProviderSchema>;
export type TemplateConfig = z.output<typeof templateSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
