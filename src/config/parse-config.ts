import { availableParallelism } from 'node:os';
import type { ChannelName } from '../domain/channel.js';
import type { AdvertisingIdentity, ChannelProvider, Config, ProviderHealthSettings, ProviderSettings, RouteRule, StoreSettings, RoutingTable, Tenant, TemplateDefinition, TemplateVariant } from './config.js';
import { configSchema, type ConfigInput, type ProviderConfig, type TemplateConfig } from './schema.js';
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

  // A certificate name can only be checked when clients present certificates.
  if (input.server.tls?.clientCaFile === undefined) {
    const why = 'needs server.tls.clientCaFile: without client certificates there is no name to check';
    if (input.server.operatorCertNames.length > 0) report('server.operatorCertNames', why);
    input.tenants.forEach((tenant, t) => tenant.clientCertNames.length > 0 && report(`tenants[${t}].clientCertNames`, why));
  }

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
  for (const [channel, entries] of Object.entries(input.routing.channels)) {
    const seen = new Set<string>();
    entries?.forEach((entry, i) => {
      const providerId = typeof entry === 'string' ? entry : entry.provider;
      const provider = providers.get(providerId);
      const path = `routing.channels.${channel}[${i}]`;
      if (typeof entry !== 'string' && entry.group !== undefined && entry.priorityGroup !== undefined && entry.group !== entry.priorityGroup) {
        report(`${path}.group`, `group ${entry.group} contradicts priorityGroup ${entry.priorityGroup}; give one of them`);
      }
      if (seen.has(providerId)) report(path, `provider "${providerId}" is listed twice for channel "${channel}"`);
      seen.add(providerId);
      if (provider === undefined) report(path, `unknown provider "${providerId}"`);
      else if (!(provider.channels as readonly ChannelName[]).includes(channel as ChannelName)) {
        report(path, `provider "${providerId}" does not carry channel "${channel}" (it carries ${provider.channels.join(', ')})`);
      }
    });
  }
  if (input.routing.channels[input.routing.defaultChannel] === undefined) {
    report('routing.defaultChannel', `channel "${input.routing.defaultChannel}" has no providers in routing.channels`);
  }

  checkRoutes(input, report);
  input.templates.forEach((template, t) => checkTemplate(template, `templates[${t}]`, report));
  return issues;
}

/** A route may only name tenants that exist and channels that have providers, each once per chain. */
function checkRoutes(input: ConfigInput, report: (path: string, message: string) => void): void {
  const tenantIds = new Set(input.tenants.map((t) => t.id));
  const names = new Map<string, number>();
  for (const [section, byChannel] of [['reportTimeouts', input.routing.reportTimeouts], ['retryElsewhereCodes', input.routing.retryElsewhereCodes]] as const) {
    for (const channel of Object.keys(byChannel)) {
      if (input.routing.channels[channel as ChannelName] === undefined) report(`routing.${section}.${channel}`, `channel "${channel}" has no providers in routing.channels`);
    }
  }
  input.routing.routes.forEach((route, r) => {
    const path = `routing.routes[${r}]`;
    route.match.tenants?.forEach((tenant, i) => {
      if (!tenantIds.has(tenant)) report(`${path}.match.tenants[${i}]`, `unknown tenant "${tenant}"`);
    });
    const seen = new Set<string>();
    route.chain.forEach((channel, i) => {
      if (seen.has(channel)) report(`${path}.chain[${i}]`, `channel "${channel}" is already in the chain`);
      else if (input.routing.channels[channel] === undefined) report(`${path}.chain[${i}]`, `channel "${channel}" has no providers in routing.channels`);
      seen.add(channel);
    });
    if (route.name !== undefined) {
      const earlier = names.get(route.name);
      if (earlier !== undefined) report(`${path}.name`, `duplicate route name "${route.name}" (also routing.routes[${earlier}])`);
      else names.set(route.name, r);
    }
  });
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
  const names = template.variables.map((v) => (typeof v === 'string' ? v : v.name));
  const declared = new Set(names);
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i) report(`${path}.variables[${i}]`, `variable "${name}" is declared twice`);
  });
  const texts: [string, string | undefined][] = [
    [`${path}.subject`, template.subject],
    [`${path}.body`, template.body],
  ];
  for (const [channel, variant] of Object.entries(template.channels)) {
    if (variant === undefined) continue;
    const at = `${path}.channels.${channel}`;
    texts.push([`${at}.subject`, variant.subject], [`${at}.body`, variant.body], [`${at}.title`, variant.title]);
    variant.buttons?.forEach((button, b) => {
      for (const field of ['name', 'linkMobile', 'linkPc', 'schemeIos', 'schemeAndroid'] as const) texts.push([`${at}.buttons[${b}].${field}`, button[field]]);
    });
    for (const [key, value] of Object.entries(variant.data ?? {})) texts.push([`${at}.data.${key}`, value]);
    if (channel === 'alimtalk' && !variant.templateCode) report(`${at}.templateCode`, 'an AlimTalk variant needs its approved template code');
    if (variant.buttons !== undefined && channel !== 'alimtalk' && channel !== 'friendtalk') report(`${at}.buttons`, 'buttons are for AlimTalk and FriendTalk variants only');
    if ((variant.title !== undefined || variant.data !== undefined) && channel !== 'push') report(`${at}.${variant.title !== undefined ? 'title' : 'data'}`, 'title and data are for push variants only');
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
      heapBudgetMb: store.heapBudgetMb,
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
    encryption:
      store.encryption === undefined
        ? null
        : // The schema refuses a key that is neither in the file nor in its environment variable.
          { keys: store.encryption.keys.map((k) => ({ id: k.id, key: k.key ?? '' })), sealWith: store.encryption.sealWith ?? store.encryption.keys[0]!.id },
  };
}

function compileProvider(p: ProviderConfig): ProviderSettings {
  const connection = {
    id: p.id,
    address: p.address,
    channels: p.channels,
    window: p.window,
    connectTimeoutMs: p.connectTimeout,
    reconnectBackoffMs: p.reconnectBackoff,
    maxReconnectBackoffMs: p.maxReconnectBackoff,
  };
  if (p.kind === 'grpc') {
    return {
      ...connection,
      kind: 'grpc',
      connections: p.connections,
      keepaliveTimeMs: p.keepaliveTime,
      keepaliveTimeoutMs: p.keepaliveTimeout,
      answerTimeoutMs: p.answerTimeout,
      tps: p.tps,
      urgentReserve: p.urgentReserve,
      tls:
        p.tls === undefined
          ? null
          : { caFile: p.tls.caFile, certFile: p.tls.certFile ?? null, keyFile: p.tls.keyFile ?? null, serverName: p.tls.serverName ?? null, refreshIntervalMs: p.tls.refreshInterval },
    };
  }
  return {
    ...connection,
    kind: 'smpp',
    systemId: p.systemId,
    // The schema refuses a provider whose password is neither in the file nor in its environment variable.
    password: p.password ?? '',
    systemType: p.systemType,
    enquireLinkIntervalMs: p.enquireLinkInterval,
    responseTimeoutMs: p.responseTimeout,
    sourceTon: p.sourceTon,
    sourceNpi: p.sourceNpi,
    destTon: p.destTon,
    destNpi: p.destNpi,
    dataCoding: p.dataCoding,
    maxTrackedReceipts: p.maxTrackedReceipts,
    tps: p.tps,
    urgentReserve: p.urgentReserve,
  };
}

function compileConfig(input: ConfigInput): Config {
  const tenants = new Map<string, Tenant>();
  const tenantsByApiKey = new Map<string, Tenant>();
  for (const t of input.tenants) {
    const tenant: Tenant = { id: t.id, senderNumbers: t.senderNumbers, allowInternational: t.allowInternational, clientCertNames: t.clientCertNames, acceptRate: t.acceptRate ?? null };
    tenants.set(t.id, tenant);
    for (const key of t.apiKeys) tenantsByApiKey.set(key, tenant);
  }
  const providers: ProviderSettings[] = input.providers.map(compileProvider);
  const templates: Record<string, TemplateDefinition> = {};
  for (const t of input.templates) {
    const defaultVariant: TemplateVariant = { subject: t.subject ?? '', body: t.body, templateCode: '', buttons: [], data: {} };
    const variants: Partial<Record<ChannelName, TemplateVariant>> = {};
    for (const [channel, v] of Object.entries(t.channels)) {
      if (v) {
        variants[channel as ChannelName] = {
          subject: v.title ?? v.subject ?? defaultVariant.subject,
          body: v.body,
          templateCode: v.templateCode ?? '',
          buttons: v.buttons ?? [],
          data: v.data ?? {},
        };
      }
    }
    const declared = t.variables.map((v) => (typeof v === 'string' ? { name: v, type: 'string' as const } : v));
    templates[t.id] = {
      id: t.id,
      variables: declared.map((v) => v.name),
      variableTypes: Object.fromEntries(declared.map((v) => [v.name, v.type])),
      defaultVariant,
      variants,
    };
  }
  const advertising: Record<string, AdvertisingIdentity> = {};
  for (const t of input.tenants) if (t.advertising !== undefined) advertising[t.id] = t.advertising;
  const { nightBan } = input.routing;
  const channelProviders = compileChannelProviders(input.routing.channels);
  const channelIds: Partial<Record<ChannelName, readonly string[]>> = {};
  for (const [channel, entries] of Object.entries(channelProviders)) channelIds[channel as ChannelName] = entries.map((e) => e.providerId);
  const routes: RouteRule[] = input.routing.routes.map((r, i) => ({
    name: r.name ?? `routes[${i}]`,
    tenants: r.match.tenants ?? null,
    kinds: r.match.kinds ?? null,
    priorities: r.match.priorities ?? null,
    tags: r.match.tags ?? null,
    countries: r.match.countries ?? null,
    chain: r.chain,
  }));
  const routing: RoutingTable = {
    routes,
    defaultChannel: input.routing.defaultChannel,
    channels: channelIds,
    templates,
    text: input.routing.text,
    advertising,
    nightBan: { startMinuteKst: nightBan.start, endMinuteKst: nightBan.end, friendtalkStartMinuteKst: nightBan.friendtalkStart, mode: nightBan.mode },
    reportTimeoutsMs: input.routing.reportTimeouts,
    retryElsewhereCodes: input.routing.retryElsewhereCodes,
  };
  const workers = input.router.workers === 'auto' ? Math.max(1, availableParallelism() - 1) : input.router.workers;
  return {
    server: {
      listen: input.server.listen,
      metricsListen: input.server.metricsListen ?? null,
      maxReceiveMessageBytes: input.server.maxReceiveMessageBytes,
      maxConcurrentStreams: input.server.maxConcurrentStreams,
      streamIdleTimeoutMs: input.server.streamIdleTimeout,
      connectionIdleTimeoutMs: input.server.connectionIdleTimeout,
      shutdownGraceMs: input.server.shutdownGrace,
      operatorApiKeys: input.server.operatorApiKeys,
      tls:
        input.server.tls === undefined
          ? null
          : { certFile: input.server.tls.certFile, keyFile: input.server.tls.keyFile, clientCaFile: input.server.tls.clientCaFile ?? null, refreshIntervalMs: input.server.tls.refreshInterval },
      operatorCertNames: input.server.operatorCertNames,
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
    providerChoice: {
      channels: channelProviders,
      stickyRecipients: input.routing.stickyRecipients,
      health: Object.fromEntries(input.providers.map((p) => [p.id, compileHealth({ ...input.providerHealth, ...withoutUndefined(p.health ?? {}) })])),
    },
  };
}

/** routing.channels with every entry's weight and priority group spelled out (see channelProviderSchema). */
function compileChannelProviders(channels: ConfigInput['routing']['channels']): Partial<Record<ChannelName, readonly ChannelProvider[]>> {
  const compiled: Partial<Record<ChannelName, readonly ChannelProvider[]>> = {};
  for (const [channel, entries] of Object.entries(channels)) {
    let previousGroup = 0;
    compiled[channel as ChannelName] = (entries ?? []).map((entry, order) => {
      const provider: ChannelProvider =
        typeof entry === 'string'
          ? { providerId: entry, weight: 1, group: previousGroup + 1, order }
          : { providerId: entry.provider, weight: entry.weight, group: entry.priorityGroup ?? entry.group ?? 1, order };
      previousGroup = provider.group;
      return provider;
    });
  }
  return compiled;
}

function withoutUndefined<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

function compileHealth(h: ConfigInput['providerHealth']): ProviderHealthSettings {
  return {
    windowMs: h.window,
    minRequests: h.minRequests,
    openErrorRate: h.openErrorRate,
    openTimeouts: h.openTimeouts,
    openCooldownMs: h.openCooldown,
    maxOpenCooldownMs: Math.max(h.openCooldown, h.maxOpenCooldown),
    halfOpenProbes: h.halfOpenProbes,
    weightErrorRate: h.weightErrorRate,
    reportTimeoutMs: h.reportTimeout,
    weightUndeliveredShare: h.weightUndeliveredShare,
    weightStep: h.weightStep,
    weightCooldownMs: h.weightCooldown,
    minWeightFactor: h.minWeightFactor,
  };
}
