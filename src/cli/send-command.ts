import { parseArgs } from 'node:util';
import type { ServiceError } from '@grpc/grpc-js';
import {
  Channel,
  MessageKind,
  MessageState,
  Priority,
  type Message,
  type MessageStatus,
  type SendResponse,
} from '../gen/switchboard/v1/gateway.js';
import { CHANNELS } from '../domain/channel.js';
import { toGatewayChannel } from '../gateway/gateway-channel.js';
import { CliError } from './cli-error.js';
import { connectToGateway, DEMO_API_KEY, describeServiceError, type GatewayConnection } from './gateway-client.js';

export const SEND_USAGE = `switchboard send --to NUMBER (--template ID [--var NAME=VALUE ...] | --body TEXT [--subject TEXT])
                 [--client-ref REF] [--priority urgent|normal|bulk] [--kind informational|advertising]
                 [--night-consent] [--channel sms|lms|mms|alimtalk|friendtalk|push] [--target HOST:PORT]
                 [--api-key KEY] [--no-wait] [--wait-ms MS]
  Sends one message, prints its id, then each status change until a final state.
  --night-consent (with --kind advertising): the recipient consented to advertising at night; without
  it, advertising inside the gateway's night window (21:00 to 08:00 KST by default) is held or refused.
  --target defaults to $SWITCHBOARD_TARGET or 127.0.0.1:50051; --api-key to $SWITCHBOARD_API_KEY or the demo key.`;

const FINAL_STATES = new Set([
  MessageState.MESSAGE_STATE_DELIVERED,
  MessageState.MESSAGE_STATE_FAILED,
  MessageState.MESSAGE_STATE_EXPIRED,
  MessageState.MESSAGE_STATE_REJECTED,
  MessageState.MESSAGE_STATE_CANCELLED,
]);
const POLL_INTERVAL_MS = 200;

export async function runSendCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      to: { type: 'string' },
      template: { type: 'string' },
      var: { type: 'string', multiple: true },
      body: { type: 'string' },
      subject: { type: 'string' },
      'client-ref': { type: 'string' },
      priority: { type: 'string' },
      kind: { type: 'string' },
      'night-consent': { type: 'boolean' },
      channel: { type: 'string' },
      target: { type: 'string' },
      'api-key': { type: 'string' },
      'no-wait': { type: 'boolean' },
      'wait-ms': { type: 'string' },
    },
  });
  if (values.to === undefined) throw new CliError(`--to is required\n${SEND_USAGE}`);
  if ((values.template === undefined) === (values.body === undefined)) throw new CliError(`give either --template or --body\n${SEND_USAGE}`);
  const variables: Record<string, string> = {};
  for (const pair of values.var ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--var must look like NAME=VALUE, got "${pair}"`);
    variables[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const nightConsent = values['night-consent'] === true;
  if (nightConsent && values.kind !== 'advertising') throw new CliError(`--night-consent applies only to --kind advertising\n${SEND_USAGE}`);
  const waitMs = values['wait-ms'] === undefined ? 30_000 : Number(values['wait-ms']);
  if (!Number.isInteger(waitMs) || waitMs < 0) throw new CliError(`--wait-ms must be a whole number of milliseconds, got "${values['wait-ms']}"`);

  const message: Message = {
    clientRef: values['client-ref'] ?? '',
    recipient: values.to,
    sender: '',
    templateId: values.template ?? '',
    variables,
    content: values.body === undefined ? undefined : { body: values.body, subject: values.subject ?? '' },
    kind: pickEnum('--kind', values.kind, { informational: MessageKind.MESSAGE_KIND_INFORMATIONAL, advertising: MessageKind.MESSAGE_KIND_ADVERTISING }, MessageKind.MESSAGE_KIND_UNSPECIFIED),
    priority: pickEnum('--priority', values.priority, { urgent: Priority.PRIORITY_URGENT, normal: Priority.PRIORITY_NORMAL, bulk: Priority.PRIORITY_BULK }, Priority.PRIORITY_UNSPECIFIED),
    channel: pickEnum('--channel', values.channel, Object.fromEntries(CHANNELS.map((name) => [name, toGatewayChannel(name)])), Channel.CHANNEL_UNSPECIFIED),
    ttlMs: 0,
    tags: [],
    nightConsent,
  };

  const target = values.target ?? process.env['SWITCHBOARD_TARGET'] ?? '127.0.0.1:50051';
  const connection = connectToGateway(target, values['api-key'] ?? process.env['SWITCHBOARD_API_KEY'] ?? DEMO_API_KEY);
  try {
    const response = await send(connection, message);
    process.stdout.write(`message_id ${response.messageId}${response.duplicate ? ' (duplicate client_ref: already accepted, not sent again)' : ''}\n`);
    if (values['no-wait']) return;
    await followStatus(connection, response.messageId, waitMs);
  } finally {
    connection.client.close();
  }
}

function pickEnum<T>(flag: string, value: string | undefined, choices: Record<string, T>, fallback: T): T {
  if (value === undefined) return fallback;
  const picked = choices[value];
  if (picked === undefined) throw new CliError(`${flag} must be one of ${Object.keys(choices).join(', ')}, got "${value}"`);
  return picked;
}

function send(connection: GatewayConnection, message: Message): Promise<SendResponse> {
  return new Promise((resolve, reject) => {
    connection.client.send({ message }, connection.metadata, { deadline: Date.now() + 10_000 }, (error: ServiceError | null, response) =>
      error ? reject(new CliError(describeServiceError(error))) : resolve(response),
    );
  });
}

function getStatus(connection: GatewayConnection, messageId: string): Promise<MessageStatus> {
  return new Promise((resolve, reject) => {
    connection.client.getStatus({ messageId }, connection.metadata, { deadline: Date.now() + 10_000 }, (error: ServiceError | null, response) =>
      error ? reject(new CliError(describeServiceError(error))) : resolve(response),
    );
  });
}

/** Prints each new transition of the message's history until it reaches a final state or the wait runs out. */
async function followStatus(connection: GatewayConnection, messageId: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  let printed = 0;
  for (;;) {
    const status = await getStatus(connection, messageId);
    for (const event of status.history.slice(printed)) {
      const where = [event.channel ? Channel[event.channel].replace('CHANNEL_', '').toLowerCase() : '', event.providerId].filter(Boolean).join(' via ');
      const why = [event.code, event.reason].filter(Boolean).join(' ');
      process.stdout.write(`${new Date(Number(event.atMs)).toISOString()} ${MessageState[event.state].replace('MESSAGE_STATE_', '')}${where ? ` ${where}` : ''}${why ? ` (${why})` : ''}\n`);
    }
    printed = status.history.length;
    if (FINAL_STATES.has(status.state)) {
      if (status.state !== MessageState.MESSAGE_STATE_DELIVERED) process.exitCode = 1;
      return;
    }
    // Held for hours (the night window): say so and stop following rather than time out.
    if (status.state === MessageState.MESSAGE_STATE_DEFERRED) {
      process.stdout.write(`held in the queue; follow it later with GetStatus or WatchReports (message_id ${messageId})\n`);
      return;
    }
    if (Date.now() >= deadline) throw new CliError(`no final state within ${waitMs} ms; the message is still ${MessageState[status.state]}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
