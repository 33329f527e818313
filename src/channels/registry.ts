import type { ProviderSettings } from '../config/config.js';
import { GrpcProviderConnector } from './grpc-provider-connector.js';
import type { ConnectorKind, ProviderConnector } from './provider-connector.js';
import { SmppProviderConnector } from './smpp-provider-connector.js';
import type { RateLimiterFactory } from './rate-limiter.js';

/** What connectors may share with the rest of the node. */
export interface ConnectorDeps {
  /** Makes a provider's TPS limiter (cluster-wide on a Redis store); absent for a local token bucket. */
  readonly rateLimiter?: RateLimiterFactory | undefined;
}

/** Builds a connector from the settings of its own kind. */
type ConnectorFactories = { [K in ConnectorKind]: (settings: Extract<ProviderSettings, { kind: K }>, deps: ConnectorDeps) => ProviderConnector };

/** How to build a connector of each kind. A new supplier protocol is a new file and one line here. */
const CONNECTOR_FACTORIES: ConnectorFactories = {
  grpc: (settings, deps) =>
    new GrpcProviderConnector(settings, settings.tps > 0 && deps.rateLimiter !== undefined ? { rateLimiter: deps.rateLimiter(settings.id, settings.tps, settings.urgentReserve) } : {}),
  smpp: (settings, deps) =>
    new SmppProviderConnector(settings, settings.tps > 0 && deps.rateLimiter !== undefined ? deps.rateLimiter(settings.id, settings.tps, settings.urgentReserve) : null),
};

export function createConnector(settings: ProviderSettings, deps: ConnectorDeps = {}): ProviderConnector {
  // The mapped type pairs each kind with its settings; TypeScript cannot follow that through the index.
  const create = CONNECTOR_FACTORIES[settings.kind] as (settings: ProviderSettings, deps: ConnectorDeps) => ProviderConnector;
  return create(settings, deps);
}
