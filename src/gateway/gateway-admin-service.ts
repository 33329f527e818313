import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { Config, Tenant } from '../config/config.js';
import type {
  AddOptOutsRequest,
  AddOptOutsResponse,
  CheckOptOutsRequest,
  CheckOptOutsResponse,
  GatewayAdminServer,
  RemoveOptOutsRequest,
  RemoveOptOutsResponse,
} from '../gen/switchboard/v1/admin.js';
import type { OptOutList } from '../store/opt-out-list.js';
import { authenticate } from './authenticate.js';
import type { CallRegistry } from './call-registry.js';
import { invalidArgument } from './gateway-error.js';
import { normalizePhoneNumber } from './phone-number.js';
import { unaryHandler } from './unary-handler.js';

export interface GatewayAdminDeps {
  readonly config: () => Config;
  readonly optOuts: OptOutList;
  readonly calls: CallRegistry;
}

/** Most numbers in one opt-out call: a list larger than that goes in several calls. */
const MAX_NUMBERS_PER_CALL = 10_000;

/** The GatewayAdmin implementation: the calling tenant's advertising opt-out list. */
export function createGatewayAdminService(deps: GatewayAdminDeps): GatewayAdminServer {
  const tenantAndNumbers = (call: ServerUnaryCall<{ phoneNumbers: string[] }, unknown>): [Tenant, string[]] => {
    const tenant = authenticate(call.metadata, deps.config());
    return [tenant, normalizeAll(call.request.phoneNumbers, tenant)];
  };
  return {
    addOptOuts: unaryHandler(deps.calls, async (call: ServerUnaryCall<AddOptOutsRequest, AddOptOutsResponse>) => {
      const [tenant, numbers] = tenantAndNumbers(call);
      return { added: await deps.optOuts.addOptOuts(tenant.id, numbers) };
    }),
    removeOptOuts: unaryHandler(deps.calls, async (call: ServerUnaryCall<RemoveOptOutsRequest, RemoveOptOutsResponse>) => {
      const [tenant, numbers] = tenantAndNumbers(call);
      return { removed: await deps.optOuts.removeOptOuts(tenant.id, numbers) };
    }),
    checkOptOuts: unaryHandler(deps.calls, async (call: ServerUnaryCall<CheckOptOutsRequest, CheckOptOutsResponse>) => {
      const [tenant, numbers] = tenantAndNumbers(call);
      const optedOut = await deps.optOuts.findOptedOut(tenant.id, numbers);
      return { optedOut: numbers.filter((n) => optedOut.has(n)) };
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
