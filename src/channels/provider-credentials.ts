import { credentials, experimental, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import type { GrpcProviderSettings } from '../config/config.js';
import { WatchedCertificates } from './watched-certificates.js';

/** How a connector reaches its supplier: the channel credentials and the options they need. */
export interface ProviderLink {
  readonly credentials: ChannelCredentials;
  readonly options: ChannelOptions;
}

/**
 * Plaintext, TLS or mutual TLS, as providers[].tls says; one per connector, shared by its pooled
 * connections. The files are watched (WatchedCertificates): renewed certificates apply to new
 * connections. Throws, naming the provider and the setting, when a file cannot be used.
 */
export function providerLink(settings: GrpcProviderSettings): ProviderLink {
  const { tls } = settings;
  if (tls === null) return { credentials: credentials.createInsecure(), options: {} };
  const at = (setting: string): string => `provider "${settings.id}" tls.${setting}`;
  const files = new WatchedCertificates({
    cert: tls.certFile === null ? null : { path: at('certFile'), file: tls.certFile },
    key: tls.keyFile === null ? null : { path: at('keyFile'), file: tls.keyFile },
    ca: { path: at('caFile'), file: tls.caFile },
    refreshIntervalMs: tls.refreshIntervalMs,
  });
  const options: ChannelOptions = tls.serverName === null ? {} : { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName };
  return { credentials: experimental.createCertificateProviderChannelCredentials(files, tls.certFile === null ? null : files), options };
}
