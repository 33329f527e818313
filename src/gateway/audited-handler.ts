import { createHash } from 'node:crypto';
import { status as Status, type Metadata, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { audit } from '../log.js';
import { API_KEY_HEADER } from './authenticate.js';
import type { CallRegistry } from './call-registry.js';
import { certificateNames, type CallWithPeer } from './client-certificate.js';
import { GatewayError } from './gateway-error.js';
import { unaryHandler } from './unary-handler.js';

/** What a handler adds to its audit record: whom it acted as and on what (ids and counts only). */
export interface AuditDetails {
  /** The tenant the call acted for, once authenticated. */
  tenant?: string;
  /** What was acted on, e.g. { provider: 'kt-sms' } or { numbers: 12 }. */
  target?: Record<string, string | number | boolean>;
  /** What came of it beyond the status, e.g. { added: 3 }. */
  result?: Record<string, string | number | boolean>;
}

/**
 * A unary handler whose every call, allowed or refused, leaves an audit record (log.ts audit):
 * the action, the outcome (OK or the status code's name), the peer address, the caller (tenant,
 * a fingerprint of the API key, never the key, and the client certificate's names under mutual
 * TLS), and the handler's target and result.
 */
export function auditedHandler<Req, Res>(
  calls: CallRegistry,
  action: string,
  handler: (call: ServerUnaryCall<Req, Res>, details: AuditDetails) => Promise<Res>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return unaryHandler(calls, async (call) => {
    const details: AuditDetails = {};
    try {
      const response = await handler(call, details);
      record(action, 'OK', call, details);
      return response;
    } catch (error) {
      // A GatewayError's code; anything else reaches the client as INTERNAL (toStatus).
      record(action, error instanceof GatewayError ? (Status[error.code] ?? String(error.code)) : 'INTERNAL', call, details);
      throw error;
    }
  });
}

function record(action: string, outcome: string, call: { readonly metadata: Metadata; getPeer(): string } & CallWithPeer, details: AuditDetails): void {
  const [key] = call.metadata.get(API_KEY_HEADER);
  const certificate = call.getAuthContext()?.sslPeerCertificate;
  audit({
    action,
    outcome,
    peer: call.getPeer(),
    ...(details.tenant === undefined ? {} : { tenant: details.tenant }),
    // Enough to tell keys apart in the records and to find the key in the config; not the key.
    apiKey: typeof key === 'string' ? `sha256:${createHash('sha256').update(key).digest('hex').slice(0, 16)}` : null,
    certificate: certificate === undefined || Object.keys(certificate).length === 0 ? null : certificateNames(certificate),
    ...(details.target === undefined ? {} : { target: details.target }),
    ...(details.result === undefined ? {} : { result: details.result }),
  });
}
