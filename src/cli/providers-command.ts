import { parseArgs } from 'node:util';
import type { Metadata, ServiceError } from '@grpc/grpc-js';
import { BreakerState, GatewayAdminClient, type ProviderState } from '../gen/switchboard/v1/admin.js';
import { CliError } from './cli-error.js';
import { clientTlsFromEnvironment } from './client-tls.js';
import { apiKeyMetadata, describeServiceError } from './gateway-client.js';

export const PROVIDERS_USAGE = `switchboard providers list|drain ID|resume ID|switch FROM TO [--target HOST:PORT] [--api-key KEY] [--json]
  Suppliers of a running gateway node, with an operator API key (server.operatorApiKeys; or
  SWITCHBOARD_OPERATOR_KEY). "list" shows each one's connection, in-flight messages, breaker,
  error rate and weights; "drain" sends it no new messages (in-flight ones finish); "switch" drains
  FROM and puts TO before every priority group; "resume" undoes both for one supplier.
  Acts on the one node at --target, without a restart; reloads keep it.`;

export async function runProvidersCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { target: { type: 'string' }, 'api-key': { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const [action, ...ids] = positionals;
  const arity: Record<string, number> = { list: 0, drain: 1, resume: 1, switch: 2 };
  if (action === undefined || arity[action] === undefined) throw new CliError(`give list, drain, resume or switch\n${PROVIDERS_USAGE}`);
  if (ids.length !== arity[action]) throw new CliError(`"providers ${action}" takes ${arity[action]} provider id(s), got ${ids.length}\n${PROVIDERS_USAGE}`);
  const apiKey = values['api-key'] ?? process.env['SWITCHBOARD_OPERATOR_KEY'];
  if (apiKey === undefined) throw new CliError(`give an operator API key with --api-key or SWITCHBOARD_OPERATOR_KEY\n${PROVIDERS_USAGE}`);
  const target = values.target ?? process.env['SWITCHBOARD_TARGET'] ?? '127.0.0.1:50051';
  const tls = clientTlsFromEnvironment();
  const client = new GatewayAdminClient(target, tls.credentials, tls.options);
  const metadata = apiKeyMetadata(apiKey);
  const print = (states: ProviderState[]): void => {
    process.stdout.write(values.json ? `${JSON.stringify(states.map(toJson), null, 2)}\n` : formatTable(states));
  };
  try {
    if (action === 'list') {
      print((await call(client, 'listProviders', {}, metadata)).providers);
    } else if (action === 'drain') {
      print([await call(client, 'drainProvider', { providerId: ids[0] as string }, metadata)]);
    } else if (action === 'resume') {
      print([await call(client, 'resumeProvider', { providerId: ids[0] as string }, metadata)]);
    } else {
      const result = await call(client, 'switchProvider', { fromProviderId: ids[0] as string, toProviderId: ids[1] as string }, metadata);
      if (!values.json) process.stdout.write(`switched ${result.channels.join(', ')} from ${ids[0]} to ${ids[1]}\n`);
      print([result.from, result.to].filter((s) => s !== undefined));
    }
  } finally {
    client.close();
  }
}

type Unary<Req, Res> = (request: Req, metadata: Metadata, options: { deadline: number }, callback: (error: ServiceError | null, response: Res) => void) => unknown;
type RequestOf<K extends keyof GatewayAdminClient> = GatewayAdminClient[K] extends Unary<infer Req, unknown> ? Req : never;
type ResponseOf<K extends keyof GatewayAdminClient> = GatewayAdminClient[K] extends Unary<never, infer Res> ? Res : never;

function call<K extends 'listProviders' | 'drainProvider' | 'resumeProvider' | 'switchProvider'>(
  client: GatewayAdminClient,
  method: K,
  request: RequestOf<K>,
  metadata: Metadata,
): Promise<ResponseOf<K>> {
  const fn = client[method].bind(client) as unknown as Unary<RequestOf<K>, ResponseOf<K>>;
  return new Promise((resolve, reject) => {
    fn(request, metadata, { deadline: Date.now() + 10_000 }, (error, response) => (error ? reject(new CliError(describeServiceError(error))) : resolve(response)));
  });
}

const BREAKER_NAMES: Record<number, string> = {
  [BreakerState.BREAKER_STATE_CLOSED]: 'closed',
  [BreakerState.BREAKER_STATE_OPEN]: 'open',
  [BreakerState.BREAKER_STATE_HALF_OPEN]: 'half-open',
};

function toJson(s: ProviderState): Record<string, unknown> {
  return { ...s, breaker: BREAKER_NAMES[s.breaker] ?? 'unknown' };
}

function formatTable(states: ProviderState[]): string {
  const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;
  const rows = states.map((s) => [
    s.providerId,
    s.connected ? 'yes' : s.reachable ? 'connecting' : 'unreachable',
    String(s.inFlight),
    BREAKER_NAMES[s.breaker] ?? 'unknown',
    `${pct(s.errorRate)} of ${s.answers}`,
    pct(s.undeliveredShare),
    s.channels.map((c) => `${c.channel}:g${c.priorityGroup}:${round(c.effectiveWeight)}/${round(c.weight)}`).join(' ') || '-',
    s.drained ? 'drained' : s.preferred ? 'preferred' : '-',
  ]);
  const header = ['PROVIDER', 'CONNECTED', 'IN-FLIGHT', 'BREAKER', 'ERRORS', 'NO-REPORT', 'CHANNEL:GROUP:WEIGHT/CONFIGURED', 'OPERATOR'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd()).join('\n') + '\n';
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
