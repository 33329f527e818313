import { availableParallelism } from 'node:os';
import type { ChannelName } from '../domain/channel.js';
import type { AdvertisingIdentity, Config, ProviderSettings, StoreSettings, RoutingTable, Tenant, TemplateDefinition, TemplateVariant } from './config.js';
import { configSchema, type ConfigInput, type TemplateConfig } from './schema.js';
import { listPlaceholders } from './template-placeholders.js';

/** One problem in a config file, with the path of the value it is about. */
export interface ConfigIssue {
  /** e.g. "routing.channels.sms[1]". */
  readonly path: string;
  readonly message: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] };

/** Formats a zod path like ['routing', 'channels', 'sms', 1] as "routing.channels.sms[1]". */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) text += typeof key === 'number' ? `[${key}]` : text === '' ? String(key) : `.${String(key)}`;
  return text === '' ? '(root)' : text;
}

/**
 * Validates raw config (as read from YAML) and compiles it. Every problem is reported, each with
 * its path. Cross-references (providers of a route, template placeholders, duplicate ids) are
 * checked once the file has the right shape, so a file with both kinds of problem takes two passes.
 */
export function parseConfig(raw: unknown): ConfigResult {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })) };
  }
  const issues = checkReferences(parsed.data);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, config: compileConfig(parsed.data) };
}

function checkReferences(input: ConfigInput): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const report = (path: string, message: string): void => {
    issues.push({ path, message });
  };
  reportDuplicates(input.tenants.map((t) => t.id), 'tenants', 'tenant id', report);
  reportDuplicates(input.providers.map((p) => p.id), 'providers', 'provider id', report);
  reportDuplicates(input.templates.map((t) => t.id), 'templates', 'template id', report);

  const keyOwner = new Map<string, string>();
  input.tenants.forEach((tenant, t) =>
    tenant.apiKeys.forEach((key, k) => {
      const owner = keyOwner.get(key);
      if (owner !== undefined) report(`tenants[${t}].apiKeys[${k}]`, `API key is already used by tenant "${owner}"`);
      keyOwner.set(key, tenant.id);
    }),
  );

  // The first provider of an id counts; a later duplicate is reported above, not again through the routes.
  const providers = new Map([...input.providers].reverse().map((p) => [p.id, p]));
  for (const [channel, providerIds] of Object.entries(input.routing.channels)) {
    providerIds?.forEach((providerId, i) => {
      const provider = providers.get(providerId);
      const path = `routing.channels.${channel}[${i}]`;
      if (provider === undefined) report(path, `unknown provider "${providerId}"`);
      else if (!provider.channels.includes(channel as ChannelName)) {
        report(path, `provider "${providerId}" does not carry channel "${channel}" (it carries ${provider.channels.join(', ')})`);
      }
    });
  }
  if (input.routing.channels[input.routing.defaultChannel] === undefined) {
    report('routing.defaultChannel', `channel "${input.routing.defaultChannel}" has no providers in routing.channels`);
  }

  input.templates.forEach((template, t) => checkTemplate(template, `templates[${t}]`, report));
  return issues;
}

function reportDuplicates(ids: string[], path: string, what: string, report: (path: string, message: string) => void): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) report(`${path}[${i}].id`, `duplicate ${what} "${id}"`);
    seen.add(id);
  });
}

/** Every placeholder must be a declared variable, so nothing is ever sent with "{{name}}" left in it. */
function checkTemplate(template: TemplateConfig, path: string, report: (path: string, message: string) => void): void {
  const declared = new Set(template.variables);
  const texts: [string, string | undefined][] = [
    [`${path}.subject`, template.subject],
    [`${path}.body`, template.body],
  ];
  for (const [channel, variant] of Object.entries(template.channels)) {
    texts.push([`${path}.channels.${channel}.subject`, variant?.subject], [`${path}.channels.${channel}.body`, variant?.body]);
    if (channel === 'alimtalk' && !variant?.templateCode) {
      report(`${path}.channels.alimtalk.templateCode`, 'an AlimTalk variant needs its approved template code');
    }
  }
  for (const [textPath, text] of texts) {
    for (const name of listPlaceholders(text ?? '')) {
      if (!declared.has(name)) report(textPath, `placeholder "{{${name}}}" is not in variables (${[...declared].join(', ') || 'none'})`);
    }
  }
}

function compileStore(store: ConfigInput['store']): StoreSettings {
  if (store.kind === 'memory') {
    return {
      kind: 'memory',
      maxQueuedMessages: store.maxQueuedMessages,
      dedupWindowMs: store.dedupWindow,
      statusRetentionMs: store.statusRetention,
      maxStatusRecords: store.maxStatusRecords,
      reportRetentionPerTenant: store.reportRetentionPerTenant,
    };
  }
  return {
    kind: 'redis',
    url: store.url,
    sentinels: store.sentinels ?? [],
    sentinelName: store.sentinelName ?? '',
    clusterNodes: store.cluster ?? [],
    keyPrefix: store.keyPrefix,
    shards: store.shards,
    durability: store.durability,
    replicaWaitTimeoutMs: store.replicaWaitTimeout,
    commandTimeoutMs: store.commandTimeout,
    claimIdleMs: store.claimIdle,
    maxDeliveries: store.maxDeliveries,
    maxQueuedMessages: store.maxQueuedMessages,
    dedupWindowMs: store.dedupWindow,
    statusRetentionMs: store.statusRetention,
    reportRetentionPerTenant: store.reportRetentionPerTenant,
  };
}

function compileConfig(input: ConfigInput): Config {
  const tenants = new Map<string, Tenant>();
  const tenantsByApiKey = new Map<string, Tenant>();
  for (const t of input.tenants) {
    const tenant: Tenant = { id: t.id, senderNumbers: t.senderNumbers, allowInternational: t.allowInternational };
    tenants.set(t.id, tenant);
    for (const key of t.apiKeys) tenantsByApiKey.set(key, tenant);
  }
  const providers: ProviderSettings[] = input.providers.map((p) => ({
    id: p.id,
    kind: p.kind,
    address: p.address,
    channels: p.channels,
    window: p.window,
    connectTimeoutMs: p.connectTimeout,
    reconnectBackoffMs: p.reconnectBackoff,
    maxReconnectBackoffMs: p.maxReconnectBackoff,
    connections: p.connections,
    keepaliveTimeMs: p.keepaliveTime,
    keepaliveTimeoutMs: p.keepaliveTimeout,
    answerTimeoutMs: p.answerTimeout,
    tps: p.tps,
    urgentReserve: p.urgentReserve,
  }));
  const templates: Record<string, TemplateDefinition> = {};
  for (const t of input.templates) {
    const defaultVariant: TemplateVariant = { subject: t.subject ?? '', body: t.body, templateCode: '' };
    const variants: Partial<Record<ChannelName, TemplateVariant>> = {};
    for (const [channel, v] of Object.entries(t.channels)) {
      if (v) variants[channel as ChannelName] = { subject: v.subject ?? defaultVariant.subject, body: v.body, templateCode: v.templateCode ?? '' };
    }
    templates[t.id] = { id: t.id, variables: t.variables, defaultVariant, variants };
  }
  const advertising: Record<string, AdvertisingIdentity> = {};
  for (const t of input.tenants) if (t.advertising !== undefined) advertising[t.id] = t.advertising;
  const { nightBan } = input.routing;
  const routing: RoutingTable = {
    defaultChannel: input.routing.defaultChannel,
    channels: input.routing.channels,
    templates,
    text: input.routing.text,
    advertising,
    nightBan: { startMinuteKst: nightBan.start, endMinuteKst: nightBan.end, friendtalkStartMinuteKst: nightBan.friendtalkStart, mode: nightBan.mode },
  };
  const workers = input.router.workers === 'auto' ? Math.max(1, availableParallelism() - 1) : input.router.workers;
  return {
    server: {
      listen: input.server.listen,
      metricsListen: input.server.metricsListen ?? null,
      maxReceiveMessageBytes: input.server.maxReceiveMessageBytes,
      maxConcurrentStreams: input.server.maxConcurrentStreams,
      shutdownGraceMs: input.server.shutdownGrace,
      operatorApiKeys: input.server.operatorApiKeys,
    },
    store: compileStore(input.store),
    limits: {
      maxBatchSize: input.limits.maxBatchSize,
      maxBodyBytes: input.limits.maxBodyBytes,
      maxVariableBytes: input.limits.maxVariableBytes,
      defaultTtlMs: input.limits.defaultTtl,
      maxTtlMs: input.limits.maxTtl,
      queueFullWaitMs: input.limits.queueFullWait,
    },
    router: { workers, batchSize: input.router.batchSize },
    dispatcher: {
      concurrency: input.dispatcher.concurrency,
      retryBackoffMs: input.dispatcher.retryBackoff,
      maxRetryBackoffMs: input.dispatcher.maxRetryBackoff,
      maxDeferWaitMs: input.dispatcher.maxDeferWait,
    },
    tenants,
    tenantsByApiKey,
    providers,
    routing,
  };
}
