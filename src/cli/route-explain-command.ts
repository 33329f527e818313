import { parseArgs } from 'node:util';
import type { ServiceError } from '@grpc/grpc-js';
import { CHANNELS } from '../domain/channel.js';
import { Channel, MessageKind, MessageState, Priority, type Message, type RouteExplanation } from '../gen/switchboard/v1/gateway.js';
import { toGatewayChannel } from '../gateway/gateway-channel.js';
import { CliError } from './cli-error.js';
import { connectToGateway, DEMO_API_KEY, describeServiceError } from './gateway-client.js';

export const ROUTE_EXPLAIN_USAGE = `switchboard route explain --to NUMBER (--template ID [--var NAME=VALUE ...] | --body TEXT [--subject TEXT])
                 [--kind informational|advertising] [--priority urgent|normal|bulk] [--tag TAG ...]
                 [--channel sms|lms|mms|alimtalk|friendtalk|push] [--night-consent] [--json]
                 [--target HOST:PORT] [--api-key KEY]
  Asks the gateway where this message would go now, and why, without sending it (ExplainRoute):
  the route rule that matches, the channel and its fallback chain, the provider, the text.`;

const CHANNEL_NAMES = new Map<Channel, string>(CHANNELS.map((name) => [toGatewayChannel(name), name]));

export async function runRouteCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'explain') throw new CliError(`unknown route command "${sub ?? ''}"\n${ROUTE_EXPLAIN_USAGE}`);
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      to: { type: 'string' },
      template: { type: 'string' },
      var: { type: 'string', multiple: true },
      body: { type: 'string' },
      subject: { type: 'string' },
      priority: { type: 'string' },
      kind: { type: 'string' },
      tag: { type: 'string', multiple: true },
      'night-consent': { type: 'boolean' },
      channel: { type: 'string' },
      json: { type: 'boolean' },
      target: { type: 'string' },
      'api-key': { type: 'string' },
    },
  });
  if (values.to === undefined) throw new CliError(`--to is required\n${ROUTE_EXPLAIN_USAGE}`);
  if ((values.template === undefined) === (values.body === undefined)) throw new CliError(`give either --template or --body\n${ROUTE_EXPLAIN_USAGE}`);
  const variables: Record<string, string> = {};
  for (const pair of values.var ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--var must look like NAME=VALUE, got "${pair}"`);
    variables[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const message: Message = {
    clientRef: '',
    recipient: values.to,
    sender: '',
    templateId: values.template ?? '',
    variables,
    content: values.body === undefined ? undefined : { body: values.body, subject: values.subject ?? '' },
    kind: pick('--kind', values.kind, { informational: MessageKind.MESSAGE_KIND_INFORMATIONAL, advertising: MessageKind.MESSAGE_KIND_ADVERTISING }, MessageKind.MESSAGE_KIND_UNSPECIFIED),
    priority: pick('--priority', values.priority, { urgent: Priority.PRIORITY_URGENT, normal: Priority.PRIORITY_NORMAL, bulk: Priority.PRIORITY_BULK }, Priority.PRIORITY_UNSPECIFIED),
    channel: pick('--channel', values.channel, Object.fromEntries(CHANNELS.map((name) => [name, toGatewayChannel(name)])), Channel.CHANNEL_UNSPECIFIED),
    ttlMs: 0,
    tags: values.tag ?? [],
    nightConsent: values['night-consent'] === true,
  };
  const target = values.target ?? process.env['SWITCHBOARD_TARGET'] ?? '127.0.0.1:50051';
  const connection = connectToGateway(target, values['api-key'] ?? process.env['SWITCHBOARD_API_KEY'] ?? DEMO_API_KEY);
  try {
    const explanation = await new Promise<RouteExplanation>((resolve, reject) => {
      connection.client.explainRoute({ message }, connection.metadata, { deadline: Date.now() + 10_000 }, (error: ServiceError | null, response) =>
        error ? reject(new CliError(describeServiceError(error))) : resolve(response),
      );
    });
    process.stdout.write(values.json ? `${JSON.stringify(explanation, null, 2)}\n` : describe(explanation));
  } finally {
    connection.client.close();
  }
}

/** One "label  value" line per fact, only the facts that apply to the outcome. */
function describe(e: RouteExplanation): string {
  const channel = (c: Channel): string => CHANNEL_NAMES.get(c) ?? String(c);
  const lines: [string, string][] = [['outcome', MessageState[e.outcome].replace('MESSAGE_STATE_', '')]];
  if (e.outcome === MessageState.MESSAGE_STATE_ROUTED) {
    lines.push(
      ['route', e.routeName],
      ['channel', channel(e.channel) + (e.fallbackChannels.length > 0 ? ` (then ${e.fallbackChannels.map(channel).join(' > ')})` : '')],
      ['why', e.why],
      ['provider', e.providerId === '' ? '(none now)' : e.providerId],
      ['because', e.providerWhy],
      ['billable', String(e.billableUnits)],
    );
    if (e.subject !== '') lines.push(['subject', e.subject]);
    lines.push(['body', e.body]);
    for (const [key, value] of Object.entries(e.attributes)) lines.push(['attribute', `${key}=${value}`]);
  } else {
    lines.push(['code', e.code], ['reason', e.reason]);
    if (e.outcome === MessageState.MESSAGE_STATE_DEFERRED) lines.push(['until', new Date(Number(e.deferUntilMs)).toISOString()]);
  }
  return lines.map(([label, value]) => `${label.padEnd(10)}${value}\n`).join('');
}

function pick<T>(flag: string, value: string | undefined, choices: Record<string, T>, fallback: T): T {
  if (value === undefined) return fallback;
  const picked = choices[value];
  if (picked === undefined) throw new CliError(`${flag} must be one of ${Object.keys(choices).join(', ')}, got "${value}"`);
  return picked;
}
