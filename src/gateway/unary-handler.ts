import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { CallRegistry, CallScope } from './call-registry.js';
import { toStatus } from './to-status.js';

/**
 * Adapts an async unary handler to grpc-js: a scope per call whose abort signal fires on client
 * cancel or server drain, and every error through toStatus, so a throwing handler never takes the
 * process down.
 */
export function unaryHandler<Req, Res>(
  calls: CallRegistry,
  handler: (call: ServerUnaryCall<Req, Res>, scope: CallScope) => Promise<Res>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    const scope = calls.open(call);
    handler(call, scope).then(
      (response) => {
        calls.close(scope);
        callback(null, response);
      },
      (error: unknown) => {
        calls.close(scope);
        callback(toStatus(error));
      },
    );
  };
}
