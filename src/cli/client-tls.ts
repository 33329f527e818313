import { readFileSync } from 'node:fs';
import { credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { CliError } from './cli-error.js';

/** How the CLI reaches a gateway (or, for provider-check, a supplier). */
export interface ClientTls {
  readonly credentials: ChannelCredentials;
  readonly options: ChannelOptions;
}

/**
 * Plaintext unless SWITCHBOARD_TLS_CA names the PEM file of the CA that signed the server's
 * certificate; then TLS, and mutual TLS with SWITCHBOARD_TLS_CERT and SWITCHBOARD_TLS_KEY (the
 * client's certificate chain and key). SWITCHBOARD_TLS_SERVER_NAME: the name the server's
 * certificate carries, when it is not the target's host. Environment variables, like
 * SWITCHBOARD_TARGET and SWITCHBOARD_API_KEY, so every command takes them the same way.
 */
export function clientTlsFromEnvironment(env: NodeJS.ProcessEnv = process.env): ClientTls {
  const ca = env['SWITCHBOARD_TLS_CA'];
  const cert = env['SWITCHBOARD_TLS_CERT'];
  const key = env['SWITCHBOARD_TLS_KEY'];
  const serverName = env['SWITCHBOARD_TLS_SERVER_NAME'];
  if (ca === undefined || ca === '') {
    if (cert || key) throw new CliError('SWITCHBOARD_TLS_CERT and SWITCHBOARD_TLS_KEY need SWITCHBOARD_TLS_CA: the CA that signed the gateway certificate');
    return { credentials: credentials.createInsecure(), options: {} };
  }
  if (!cert !== !key) throw new CliError('SWITCHBOARD_TLS_CERT and SWITCHBOARD_TLS_KEY go together: set both for mutual TLS, or neither');
  const read = (variable: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new CliError(`${variable}: cannot read ${JSON.stringify(file)}: ${(error as Error).message}`);
    }
  };
  const tls = credentials.createSsl(read('SWITCHBOARD_TLS_CA', ca), key ? read('SWITCHBOARD_TLS_KEY', key) : null, cert ? read('SWITCHBOARD_TLS_CERT', cert) : null);
  const options: ChannelOptions = serverName ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName } : {};
  return { credentials: tls, options };
}
