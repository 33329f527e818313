import { fileURLToPath } from 'node:url';
import { Server } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { ServerSettings } from '../config/config.js';
import { GatewayAdminService, type GatewayAdminServer } from '../gen/switchboard/v1/admin.js';
import type { MessageGatewayServer } from '../gen/switchboard/v1/gateway.js';
import { MESSAGE_GATEWAY_SERVICE } from './buffer-string-reader.js';

/** The fully-qualified name health checks use for the gateway service. */
export const GATEWAY_SERVICE_NAME = 'switchboard.v1.MessageGateway';

const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));

/**
 * The grpc-js server with the gateway and admin services, the standard grpc.health.v1 service and server
 * reflection. Resource limits are explicit because grpc-js defaults are unbounded.
 */
export function createGrpcServer(
  settings: ServerSettings,
  gateway: MessageGatewayServer,
  admin: GatewayAdminServer,
): { server: Server; health: HealthImplementation } {
  const server = new Server({
    'grpc.max_receive_message_length': settings.maxReceiveMessageBytes,
    'grpc.max_concurrent_streams': settings.maxConcurrentStreams,
    'grpc.max_connection_idle_ms': settings.connectionIdleTimeoutMs,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
  });
  server.addService(MESSAGE_GATEWAY_SERVICE, gateway);
  server.addService(GatewayAdminService, admin);
  const health = new HealthImplementation({ '': 'NOT_SERVING', [GATEWAY_SERVICE_NAME]: 'NOT_SERVING' });
  health.addToServer(server);
  const definitions = loadSync(['switchboard/v1/gateway.proto', 'switchboard/v1/admin.proto', 'switchboard/provider/v1/provider.proto'], { includeDirs: [PROTO_ROOT] });
  new ReflectionService(definitions).addToServer(server);
  return { server, health };
}
