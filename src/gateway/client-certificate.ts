import type { PeerCertificate } from 'node:tls';
import { status as Status } from '@grpc/grpc-js';
import { GatewayError } from './gateway-error.js';

/** What a server call tells of its connection's TLS peer (every grpc-js server call has it). */
export interface CallWithPeer {
  getAuthContext(): { readonly sslPeerCertificate?: PeerCertificate } | null;
}

/** The names a client certificate answers to: its subject CN and its DNS, URI and email subject alternative names. */
export function certificateNames(certificate: PeerCertificate): string[] {
  const names: string[] = [];
  const cn = certificate.subject?.CN as string | string[] | undefined;
  if (typeof cn === 'string') names.push(cn);
  else if (Array.isArray(cn)) names.push(...cn);
  // e.g. "DNS:core-banking.bank.internal, URI:spiffe://bank/core, email:ops@bank.example"
  for (const entry of (certificate.subjectaltname ?? '').split(', ')) {
    const colon = entry.indexOf(':');
    if (colon > 0 && ['DNS', 'URI', 'email'].includes(entry.slice(0, colon))) names.push(entry.slice(colon + 1));
  }
  return names;
}

/**
 * Refuses the call with PERMISSION_DENIED unless its client certificate carries one of `allowed`
 * (nothing to check when `allowed` is empty). `who` names the caller in the message, e.g.
 * 'tenant "bank"'; `setting` is the config path that lists the names.
 */
export function requireCertificateName(call: CallWithPeer, allowed: readonly string[], who: string, setting: string): void {
  if (allowed.length === 0) return;
  const certificate = call.getAuthContext()?.sslPeerCertificate;
  if (certificate === undefined || Object.keys(certificate).length === 0) {
    throw new GatewayError(Status.PERMISSION_DENIED, `${who} must call with its client certificate (${setting}); this call came without one`);
  }
  const names = certificateNames(certificate);
  if (names.some((name) => allowed.includes(name))) return;
  throw new GatewayError(
    Status.PERMISSION_DENIED,
    `the client certificate (${names.join(', ') || 'no names'}) is not one of ${who}'s (${setting}); call with the certificate issued to ${who}`,
  );
}
