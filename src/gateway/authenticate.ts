import type { Metadata } from '@grpc/grpc-js';
import type { Config, Tenant } from '../config/config.js';
import { requireCertificateName, type CallWithPeer } from './client-certificate.js';
import { unauthenticated } from './gateway-error.js';

/** The metadata header that carries a tenant's API key. */
export const API_KEY_HEADER = 'x-api-key';

/**
 * The tenant whose API key the call carries; UNAUTHENTICATED when there is none or it is unknown,
 * PERMISSION_DENIED when the tenant lists its client certificates and the call's is not one of them.
 */
export function authenticate(call: { readonly metadata: Metadata } & CallWithPeer, config: Config): Tenant {
  const values = call.metadata.get(API_KEY_HEADER);
  if (values.length === 0) throw unauthenticated(`missing metadata "${API_KEY_HEADER}": every call needs the tenant's API key`);
  const tenant = typeof values[0] === 'string' ? config.tenantsByApiKey.get(values[0]) : undefined;
  if (tenant === undefined) throw unauthenticated(`the API key in metadata "${API_KEY_HEADER}" is not valid`);
  requireCertificateName(call, tenant.clientCertNames, `tenant "${tenant.id}"`, 'tenants[].clientCertNames');
  return tenant;
}
