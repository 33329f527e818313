import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { CallRegistry } from './call-registry.js';
import { toStatus } from './to-status.js';

/**
 * Adapts an async unary handler to grpc-js: an abort signal per call (client cancel or server
 * drain), and every error through toStatus, so a throwing handler never takes the process down.
 */
export function unaryHandler<Req, Res>(
  calls: CallRegistry,
  handler: (call: ServerUnaryCall<Req, Res>, signal: AbortSignal) => Promise<Res>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    const { signal, close } = calls.open((listener) => call.once('cancelled', listener));
    handler(call, signal)
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(toStatus(error)),
      )
      .finally(close);
  };
}
