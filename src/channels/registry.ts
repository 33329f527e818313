import type { ProviderSettings } from '../config/config.js';
import { GrpcProviderConnector } from './grpc-provider-connector.js';
import type { ConnectorKind, ProviderConnector } from './provider-connector.js';
import { SmppProviderConnector } from './smpp-provider-connector.js';

/** Builds a connector from the settings of its own kind. */
type ConnectorFactories = { [K in ConnectorKind]: (settings: Extract<ProviderSettings, { kind: K }>) => ProviderConnector };

/** How to build a connector of each kind. A new supplier protocol is a new file and one line here. */
const CONNECTOR_FACTORIES: ConnectorFactories = {
  grpc: (settings) => new GrpcProviderConnector(settings),
  smpp: (settings) => new SmppProviderConnector(settings),
};

export function createConnector(settings: ProviderSettings): ProviderConnector {
  // The mapped type pairs each kind with its settings; TypeScript cannot follow that through the index.
  const create = CONNECTOR_FACTORIES[settings.kind] as (settings: ProviderSettings) => ProviderConnector;
  return create(settings);
}
