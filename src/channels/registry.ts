import type { ProviderSettings } from '../config/config.js';
import { GrpcProviderConnector } from './grpc-provider-connector.js';
import type { ConnectorKind, ProviderConnector } from './provider-connector.js';

/** How to build a connector of each kind. A new supplier protocol is a new file and one line here. */
const CONNECTOR_FACTORIES: Record<ConnectorKind, (settings: ProviderSettings) => ProviderConnector> = {
  grpc: (settings) => new GrpcProviderConnector(settings),
};

export function createConnector(settings: ProviderSettings): ProviderConnector {
  return CONNECTOR_FACTORIES[settings.kind](settings);
}
