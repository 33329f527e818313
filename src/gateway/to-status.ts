import { randomUUID } from 'node:crypto';
import { Metadata, status as Status, type StatusObject } from '@grpc/grpc-js';
import { log } from '../log.js';
import { GatewayError } from './gateway-error.js';
import { retryHint } from './retry-hint.js';

/**
 * The only place an error becomes a gRPC status. A GatewayError keeps its code and message;
 * anything else is logged with a reference and reaches the client as INTERNAL with that
 * reference only, never the stack or the internal message.
 */
export function toStatus(error: unknown): StatusObject {
  if (error instanceof GatewayError) {
    const metadata = error.retryAfterMs === null ? new Metadata() : retryHint(error.code, error.details, error.retryAfterMs);
    return { code: error.code, details: error.details, metadata };
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return { code: Status.CANCELLED, details: 'call cancelled', metadata: new Metadata() };
  }
  const ref = randomUUID();
  log('error', 'unexpected error in a call handler', { ref, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  return { code: Status.INTERNAL, details: `internal error (ref ${ref})`, metadata: new Metadata() };
}
