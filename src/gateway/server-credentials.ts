import { experimental, ServerCredentials } from '@grpc/grpc-js';
import { WatchedCertificates } from '../channels/watched-certificates.js';
import type { ServerTls } from '../config/config.js';

/**
 * The gRPC API's credentials: plaintext, TLS, or mutual TLS when server.tls.clientCaFile is set.
 * The files are watched (WatchedCertificates), so a renewed certificate needs no restart. Throws,
 * naming the config path, when a file cannot be read or the key is not the certificate's.
 */
export function createServerCredentials(tls: ServerTls | null): ServerCredentials {
  if (tls === null) return ServerCredentials.createInsecure();
  const files = new WatchedCertificates({
    cert: { path: 'server.tls.certFile', file: tls.certFile },
    key: { path: 'server.tls.keyFile', file: tls.keyFile },
    ca: tls.clientCaFile === null ? null : { path: 'server.tls.clientCaFile', file: tls.clientCaFile },
    refreshIntervalMs: tls.refreshIntervalMs,
  });
  const mutual = tls.clientCaFile !== null;
  // grpc-js 1.14.7 hands this function's first two arguments to its constructor swapped (as the
  // identity provider, then the CA provider); one provider serving both is right either way.
  return experimental.createCertificateProviderServerCredentials(files, mutual ? files : null, mutual);
}
