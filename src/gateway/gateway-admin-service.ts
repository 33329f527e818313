import { status as Status, type Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Config, Tenant } from '../config/config.js';
import type {
  AddOptOutsRequest,
  AddOptOutsResponse,
  CheckOptOutsRequest,
  CheckOptOutsResponse,
  DrainProviderRequest,
  GatewayAdminServer,
  ListProvidersRequest,
  ListProvidersResponse,
  ProviderState,
  ReloadConfigRequest,
  ReloadConfigResponse,
  RemoveOptOutsRequest,
  RemoveOptOutsResponse,
  ResumeProviderRequest,
  SwitchProviderRequest,
  SwitchProviderResponse,
} from '../gen/switchboard/v1/admin.js';
import type { OptOutList } from '../store/opt-out-list.js';
import { auditedHandler, type AuditDetails } from './audited-handler.js';
import { API_KEY_HEADER, authenticate } from './authenticate.js';
import { requireCertificateName, type CallWithPeer } from './client-certificate.js';
import type { CallRegistry } from './call-registry.js';
import { GatewayError, invalidArgument, unauthenticated } from './gateway-error.js';
import { normalizePhoneNumber } from './phone-number.js';
import type { ProviderAdmin } from './provider-admin.js';

export interface GatewayAdminDeps {
  readonly config: () => Config;
  readonly optOuts: OptOutList;
  readonly calls: CallRegistry;
  /** Reads the node's config file again and swaps it in (see GatewayNode.reloadFromSource). */
  readonly reloadFromSource: () => Promise<ReloadOutcome>;
  /** Supplier state and operator control (drain, resume, switch). */
  readonly providers: ProviderAdmin;
}

/** What a reload did (the shape of GatewayNode's ReloadResult). */
export type ReloadOutcome =
  | { ok: true; providersAdded: string[]; providersRemoved: string[]; providersChanged: string[] }
  | { ok: false; issues: readonly { path: string; message: string }[] };

/** Most numbers in one opt-out call: a list larger than that goes in several calls. */
const MAX_NUMBERS_PER_CALL = 10_000;

/** The GatewayAdmin implementation: the calling tenant's advertising opt-out list. */
export function createGatewayAdminService(deps: GatewayAdminDeps): GatewayAdminServer {
  const tenantAndNumbers = (call: ServerUnaryCall<{ phoneNumbers: string[] }, unknown>, details: AuditDetails): [Tenant, string[]] => {
    const tenant = authenticate(call, deps.config());
    details.tenant = tenant.id;
    details.target = { numbers: call.request.phoneNumbers.length };
    return [tenant, normalizeAll(call.request.phoneNumbers, tenant)];
  };
  const operator = (call: { readonly metadata: Metadata } & CallWithPeer, details: AuditDetails, target?: Record<string, string>): void => {
    if (target !== undefined) details.target = target;
    authenticateOperator(call, deps.config());
  };
  // Every call leaves an audit record (auditedHandler): opt-out lists are personal data, and the
  // operator calls change where every message goes.
  return {
    addOptOuts: auditedHandler(deps.calls, 'optOuts.add', async (call: ServerUnaryCall<AddOptOutsRequest, AddOptOutsResponse>, details) => {
      const [tenant, numbers] = tenantAndNumbers(call, details);
      const added = await deps.optOuts.addOptOuts(tenant.id, numbers);
      details.result = { added };
      return { added };
    }),
    removeOptOuts: auditedHandler(deps.calls, 'optOuts.remove', async (call: ServerUnaryCall<RemoveOptOutsRequest, RemoveOptOutsResponse>, details) => {
      const [tenant, numbers] = tenantAndNumbers(call, details);
      const removed = await deps.optOuts.removeOptOuts(tenant.id, numbers);
      details.result = { removed };
      return { removed };
    }),
    checkOptOuts: auditedHandler(deps.calls, 'optOuts.check', async (call: ServerUnaryCall<CheckOptOutsRequest, CheckOptOutsResponse>, details) => {
      const [tenant, numbers] = tenantAndNumbers(call, details);
      const optedOut = await deps.optOuts.findOptedOut(tenant.id, numbers);
      details.result = { optedOut: optedOut.size };
      return { optedOut: numbers.filter((n) => optedOut.has(n)) };
    }),
    reloadConfig: auditedHandler(deps.calls, 'config.reload', async (call: ServerUnaryCall<ReloadConfigRequest, ReloadConfigResponse>, details) => {
      operator(call, details);
      const result = await deps.reloadFromSource();
      if (!result.ok) {
        throw new GatewayError(Status.FAILED_PRECONDITION, `reload refused, the previous config keeps serving: ${result.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
      }
      details.result = { providersAdded: result.providersAdded.join(','), providersRemoved: result.providersRemoved.join(','), providersChanged: result.providersChanged.join(',') };
      return { providersAdded: result.providersAdded, providersRemoved: result.providersRemoved, providersChanged: result.providersChanged };
    }),
    listProviders: auditedHandler(deps.calls, 'providers.list', async (call: ServerUnaryCall<ListProvidersRequest, ListProvidersResponse>, details) => {
      operator(call, details);
      return { providers: deps.providers.list() };
    }),
    drainProvider: auditedHandler(deps.calls, 'providers.drain', async (call: ServerUnaryCall<DrainProviderRequest, ProviderState>, details) => {
      operator(call, details, { provider: call.request.providerId });
      return deps.providers.drain(call.request.providerId);
    }),
    resumeProvider: auditedHandler(deps.calls, 'providers.resume', async (call: ServerUnaryCall<ResumeProviderRequest, ProviderState>, details) => {
      operator(call, details, { provider: call.request.providerId });
      return deps.providers.resume(call.request.providerId);
    }),
    switchProvider: auditedHandler(deps.calls, 'providers.switch', async (call: ServerUnaryCall<SwitchProviderRequest, SwitchProviderResponse>, details) => {
      operator(call, details, { from: call.request.fromProviderId, to: call.request.toProviderId });
      return deps.providers.switchTraffic(call.request.fromProviderId, call.request.toProviderId);
    }),
  };
}

/** Every number normalised to E.164; the first invalid one fails the whole call, by position. */
function normalizeAll(raw: readonly string[], tenant: Tenant): string[] {
  if (raw.length === 0) throw invalidArgument('phone_numbers is empty');
  if (raw.length > MAX_NUMBERS_PER_CALL) throw invalidArgument(`phone_numbers has ${raw.length} entries; the limit is ${MAX_NUMBERS_PER_CALL} per call`);
  return raw.map((number, i) => {
    const result = normalizePhoneNumber(number, tenant.allowInternational);
    if (!result.ok) throw invalidArgument(`phone_numbers[${i}] ${JSON.stringify(number)} ${result.why}`);
    return result.e164;
  });
}

/** Operator calls need a key from server.operatorApiKeys; a tenant's key is not enough. */
function authenticateOperator(call: { readonly metadata: Metadata } & CallWithPeer, config: Config): void {
  const [key] = call.metadata.get(API_KEY_HEADER);
  if (key === undefined) throw unauthenticated(`missing metadata "${API_KEY_HEADER}": operator calls need an operator API key`);
  if (typeof key !== 'string' || !config.server.operatorApiKeys.includes(key)) {
    throw new GatewayError(Status.PERMISSION_DENIED, 'this call needs an operator API key (server.operatorApiKeys)');
  }
  requireCertificateName(call, config.server.operatorCertNames, 'an operator', 'server.operatorCertNames');
}
