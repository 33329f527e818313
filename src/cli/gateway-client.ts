import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { MessageGatewayClient } from '../gen/switchboard/v1/gateway.js';
import { API_KEY_HEADER } from '../gateway/authenticate.js';
import { clientTlsFromEnvironment } from './client-tls.js';

/** The API key of the demo tenant in config/demo.yaml; the CLI's default so the demo works as typed. */
export const DEMO_API_KEY = 'demo-api-key-not-secret';

export interface GatewayConnection {
  readonly client: MessageGatewayClient;
  readonly metadata: Metadata;
}

/** Call metadata carrying a tenant's API key. */
export function apiKeyMetadata(apiKey: string): Metadata {
  const metadata = new Metadata();
  metadata.set(API_KEY_HEADER, apiKey);
  return metadata;
}

/** A client for a gateway at host:port (TLS as clientTlsFromEnvironment says), with the tenant's API key in the metadata of every call. */
export function connectToGateway(target: string, apiKey: string): GatewayConnection {
  const tls = clientTlsFromEnvironment();
  return { client: new MessageGatewayClient(target, tls.credentials, tls.options), metadata: apiKeyMetadata(apiKey) };
}

/** "INVALID_ARGUMENT: recipient ..." from a grpc-js ServiceError. */
export function describeServiceError(error: ServiceError): string {
  const names: Record<number, string> = {
    0: 'OK', 1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 6: 'ALREADY_EXISTS',
    7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED', 11: 'OUT_OF_RANGE',
    12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
  };
  return `${names[error.code] ?? error.code}: ${error.details}`;
}
