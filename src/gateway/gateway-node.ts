import { ServerCredentials, type Server } from '@grpc/grpc-js';
import type { HealthImplementation } from 'grpc-health-check';
import { createConnector } from '../channels/registry.js';
import { createHealthListener } from '../channels/health-listener.js';
import { providerLink } from '../channels/provider-credentials.js';
import { CertificateFilesError } from '../channels/watched-certificates.js';
import { ProviderBoard } from '../channels/provider-board.js';
import { createProviderSelector } from '../channels/provider-selector.js';
import { withReportTap } from '../channels/with-report-tap.js';
import type { ProviderConnector } from '../channels/provider-connector.js';
import type { Config, ProviderSettings } from '../config/config.js';
import type { ConfigIssue, ConfigResult } from '../config/parse-config.js';
import { log } from '../log.js';
import { createGatewayMetrics } from '../metrics.js';
import { createRouter, type Router } from '../router/router.js';
import { MemoryStore } from '../store/memory-store.js';
import { RedisStore } from '../store/redis-store.js';
import { connectRedisRateLimiters } from '../store/redis-rate-limiter.js';
import type { OptOutList } from '../store/opt-out-list.js';
import type { OperatorStates } from '../store/operator-states.js';
import type { MessageStore } from '../store/store.js';
import { BULK_TURN_BUDGET_MS, BulkTurnBudget } from './bulk-turn-budget.js';
import { CallRegistry } from './call-registry.js';
import { createGrpcServer, GATEWAY_SERVICE_NAME } from './create-grpc-server.js';
import { Dispatcher } from './dispatcher.js';
import { createGatewayAdminService } from './gateway-admin-service.js';
import { createMessageGatewayService } from './message-gateway-service.js';
import { createMessageIdGenerator } from './message-id.js';
import { OperatorStateSync } from './operator-state-sync.js';
import { createProviderAdmin } from './provider-admin.js';
import { startMetricsServer } from './metrics-server.js';
import { ingestReports, type IngestStats } from './report-ingestor.js';
import { ReportDeadlineSweeper } from './report-deadline-sweeper.js';
import { createServerCredentials } from './server-credentials.js';
import { localTenantLimiter, TenantAdmission } from './tenant-admission.js';

/** How often each node reads the operator states of suppliers that other nodes may have changed. */
const OPERATOR_STATE_READ_INTERVAL_MS = 1000;
/** How often each node looks for report deadlines that passed (routing.reportTimeouts). */
const REPORT_SWEEP_INTERVAL_MS = 1000;

export interface GatewayNodeOptions {
  /** The clock; tests inject one. */
  readonly now?: () => number;
  /** Reads the config again (the file the node was started from) for reloadFromSource; absent for nodes built in code. */
  readonly loadConfig?: () => Promise<ConfigResult>;
  /** How often report deadlines are swept; default 1 s. Tests shorten it. */
  readonly reportSweepIntervalMs?: number;
  /** Wraps the store every part of the node uses; tests inject store faults with it. */
  readonly wrapStore?: (store: NodeStore) => NodeStore;
}

/** One running gateway node: its gRPC server, dispatcher, connectors and store. */
export interface GatewayNode {
  /** host:port the gRPC API is bound to. */
  readonly address: string;
  /** host:port of GET /metrics (Prometheus), or null when server.metricsListen is not set. */
  readonly metricsAddress: string | null;
  readonly store: MessageStore;
  readonly ingestStats: IngestStats;
  /** Health and operator state of the suppliers (breakers, weights, drained), shared with the admin API. */
  readonly providers: ProviderBoard;
  /**
   * Swaps in a new validated config for the messages routed from now on: tenants, templates,
   * routing, limits, dispatcher and router settings, and providers (added, removed or changed
   * connectors). Server and store settings cannot change without a restart: such a config is
   * refused, with the old one still serving. (dispatcher.concurrency applies from the next start.)
   */
  reload(next: Config): Promise<ReloadResult>;
  /** Reads the config source again (GatewayNodeOptions.loadConfig) and reloads it; used by SIGHUP and the admin RPC. */
  reloadFromSource(): Promise<ReloadResult>;
  /** Graceful stop: refuse new calls, end long calls with UNAVAILABLE, finish in-flight batches, close. */
  stop(): Promise<void>;
}

export type ReloadResult = { ok: true; providersAdded: string[]; providersRemoved: string[]; providersChanged: string[] } | { ok: false; issues: ConfigIssue[] };

/** Everything a node keeps in its store. */
type NodeStore = MessageStore & OptOutList & OperatorStates;

async function createStore(config: Config, now: () => number): Promise<NodeStore> {
  switch (config.store.kind) {
    case 'memory':
      return new MemoryStore(config.store, now);
    case 'redis':
      return RedisStore.connect(config.store, now);
  }
}

/** Starts a gateway node from a validated config and returns once it listens and serves. */
export async function startGatewayNode(config: Config, options: GatewayNodeOptions = {}): Promise<GatewayNode> {
  const now = options.now ?? Date.now;
  // First: bad TLS files stop the start before anything else is opened.
  const tlsIssues = tlsFileIssues(config);
  if (tlsIssues.length > 0) throw new TlsFilesError(tlsIssues);
  const serverCredentials = createServerCredentials(config.server.tls);
  // The config and router in force; a reload swaps both, and everything reads them through these.
  let current = config;
  const currentConfig = (): Config => current;
  const calls = new CallRegistry();
  const metrics = createGatewayMetrics({ activeCalls: () => calls.size });
  const created = await createStore(config, now);
  const store = options.wrapStore?.(created) ?? created;
  let router: Router = createRouter(config.router, config.routing);
  const connectors = new Map<string, ProviderConnector>();
  const ingestStats: IngestStats = { unknownDeliveries: 0, unattributedInbound: 0 };
  const stopIngesting = new AbortController();
  const ingestors: Promise<void>[] = [];
  const board = new ProviderBoard(now, createHealthListener(metrics));
  board.configure(config.providerChoice);
  // Drains and switches live in the store: in force before the first dispatch, then followed.
  const operatorStates = new OperatorStateSync(store, board, currentConfig);
  await operatorStates.read('start');
  operatorStates.start(OPERATOR_STATE_READ_INTERVAL_MS);
  // With several nodes on one Redis, a provider's TPS limit and a tenant's accept rate hold across all of them together.
  const rateLimiters = config.store.kind === 'redis' ? await connectRedisRateLimiters(config.store) : null;
  const admission = new TenantAdmission(rateLimiters?.forTenant ?? localTenantLimiter);
  // One event loop, one budget: accepting, dispatching and report ingestion share it.
  const bulkTurns = new BulkTurnBudget(BULK_TURN_BUDGET_MS);
  const addConnector = (settings: ProviderSettings): void => {
    const connector = createConnector(settings, { rateLimiter: rateLimiters?.forProvider });
    connectors.set(settings.id, connector);
    // Final reports feed the supplier's delivery-latency signal on their way to the store.
    const tapped = withReportTap(connector, (report) => board.recordFinalReport(settings.id, report.delivery?.messageId ?? ''));
    ingestors.push(ingestReports(tapped, { store, metrics, config: currentConfig, now, chooseProvider: (...args) => chooseProvider(...args), bulkTurns }, ingestStats, stopIngesting.signal));
  };
  for (const provider of config.providers) addConnector(provider);
  const chooseProvider = createProviderSelector({ settings: () => currentConfig().providerChoice, board, liveState: (id) => connectors.get(id)?.liveState() });
  const dispatcher = new Dispatcher({
    store,
    optOuts: store,
    config: currentConfig,
    router: () => router,
    connectors,
    chooseProvider,
    onProviderAnswers: (providerId, outcomes, messageIds) => board.recordAnswers(providerId, outcomes, messageIds),
    metrics,
    now,
    bulkTurns,
  });
  dispatcher.start();
  const reportDeadlines = new ReportDeadlineSweeper({ store, config: currentConfig, now, chooseProvider });
  reportDeadlines.start(options.reportSweepIntervalMs ?? REPORT_SWEEP_INTERVAL_MS);

  const service = createMessageGatewayService({ store, metrics, config: currentConfig, calls, admission, newMessageId: createMessageIdGenerator(), now, router: () => router, chooseProvider, bulkTurns });
  const providerAdmin = createProviderAdmin({ config: currentConfig, board, connectors, operatorStates });
  const admin = createGatewayAdminService({ config: currentConfig, optOuts: store, calls, reloadFromSource: () => reloadFromSource(), providers: providerAdmin });
  const { server, health } = createGrpcServer(config.server, service, admin);
  const port = await bind(server, config.server.listen, serverCredentials);
  const host = config.server.listen.slice(0, config.server.listen.lastIndexOf(':'));
  const address = `${host}:${port}`;
  const metricsServer = config.server.metricsListen === null ? null : await startMetricsServer(config.server.metricsListen, metrics.registry);
  setServing(health, 'SERVING');
  log('info', 'gateway listening', { address, store: config.store.kind, providers: [...connectors.keys()], routerWorkers: config.router.workers });

  const reload = async (next: Config): Promise<ReloadResult> => {
    const issues: ConfigIssue[] = [];
    for (const section of ['server', 'store'] as const) {
      if (JSON.stringify(next[section]) !== JSON.stringify(current[section])) {
        issues.push({ path: section, message: `${section} settings cannot change while the node runs; restart it to apply them` });
      }
    }
    let nextRouter: Router;
    try {
      nextRouter = issues.length === 0 ? createRouter(next.router, next.routing) : router;
    } catch (error) {
      issues.push({ path: 'routing', message: (error as Error).message });
      nextRouter = router;
    }
    const before = new Map(current.providers.map((p) => [p.id, JSON.stringify(p)]));
    const after = new Map(next.providers.map((p) => [p.id, p]));
    const providersAdded = [...after.keys()].filter((id) => !before.has(id));
    const providersRemoved = [...before.keys()].filter((id) => !after.has(id));
    const providersChanged = [...after].filter(([id, p]) => before.has(id) && before.get(id) !== JSON.stringify(p)).map(([id]) => id);
    // New connectors' TLS files are checked before anything is swapped.
    issues.push(...providerTlsIssues([...providersAdded, ...providersChanged].map((id) => after.get(id) as ProviderSettings)));
    if (issues.length > 0) return { ok: false, issues };
    const previousRouter = router;
    const retired = [...providersRemoved, ...providersChanged].map((id) => connectors.get(id)).filter((c) => c !== undefined);
    for (const id of providersRemoved) connectors.delete(id);
    for (const id of [...providersChanged, ...providersAdded]) addConnector(after.get(id) as ProviderSettings);
    current = next;
    router = nextRouter;
    board.configure(next.providerChoice);
    // Batches already on the old router or connectors finish there; messages a closed connector
    // had not sent come back retryable and go out on the new config.
    await Promise.all([previousRouter.close(), ...retired.map((c) => c.close())]);
    log('info', 'config reloaded', { providersAdded, providersRemoved, providersChanged });
    return { ok: true, providersAdded, providersRemoved, providersChanged };
  };

  const reloadFromSource = async (): Promise<ReloadResult> => {
    if (options.loadConfig === undefined) return { ok: false, issues: [{ path: '(node)', message: 'this node was not started from a config file' }] };
    const loaded = await options.loadConfig();
    return loaded.ok ? reload(loaded.config) : loaded;
  };

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log('info', 'gateway draining', { activeCalls: calls.size });
      setServing(health, 'NOT_SERVING');
      calls.drain();
      const grace = setTimeout(() => server.forceShutdown(), config.server.shutdownGraceMs);
      grace.unref();
      const serverClosed = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      // Batches in flight get the grace period to finish; closing the connectors then hands back what is left.
      const dispatcherStopped = dispatcher.stop();
      await reportDeadlines.stop();
      operatorStates.stop();
      await Promise.race([dispatcherStopped, new Promise((resolve) => setTimeout(resolve, config.server.shutdownGraceMs).unref())]);
      stopIngesting.abort();
      await Promise.all([...connectors.values()].map((c) => c.close()));
      await dispatcherStopped;
      await Promise.all(ingestors);
      await serverClosed;
      clearTimeout(grace);
      await router.close();
      await metricsServer?.close();
      await admission.close();
      await rateLimiters?.close();
      await store.close();
      log('info', 'gateway stopped');
    })();
    return stopping;
  };
  return { address, metricsAddress: metricsServer?.address ?? null, store, ingestStats, providers: board, reload, reloadFromSource, stop };
}

/** A node cannot start: TLS files in its config cannot be used. */
export class TlsFilesError extends Error {
  override readonly name = 'TlsFilesError';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '));
  }
}

/** The TLS files of a config that cannot be used (unreadable, unparsable, a key that is not its certificate's); `switchboard config check` reports them too. */
export function tlsFileIssues(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  try {
    createServerCredentials(config.server.tls);
  } catch (error) {
    issues.push(asIssue(error));
  }
  return [...issues, ...providerTlsIssues(config.providers)];
}

/** Each gRPC supplier's TLS files that cannot be used (unreadable, or a key that is not its certificate's). */
function providerTlsIssues(providers: readonly ProviderSettings[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const provider of providers) {
    if (provider.kind !== 'grpc' || provider.tls === null) continue;
    try {
      providerLink(provider);
    } catch (error) {
      issues.push(asIssue(error));
    }
  }
  return issues;
}

function asIssue(error: unknown): ConfigIssue {
  if (error instanceof CertificateFilesError) return { path: error.setting, message: error.problem };
  throw error;
}

function setServing(health: HealthImplementation, status: 'SERVING' | 'NOT_SERVING'): void {
  health.setStatus('', status);
  health.setStatus(GATEWAY_SERVICE_NAME, status);
}

function bind(server: Server, listen: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(listen, credentials, (error, port) => (error ? reject(error) : resolve(port)));
  });
}
