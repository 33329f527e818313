import { parseArgs } from 'node:util';
import type { ServiceError } from '@grpc/grpc-js';
import { GatewayAdminClient } from '../gen/switchboard/v1/admin.js';
import { CliError } from './cli-error.js';
import { clientTlsFromEnvironment } from './client-tls.js';
import { apiKeyMetadata, DEMO_API_KEY, describeServiceError } from './gateway-client.js';

export const OPT_OUT_USAGE = `switchboard opt-out add|remove|check NUMBER... [--target HOST:PORT] [--api-key KEY]
  Manages the tenant's advertising opt-out list (수신거부): advertising to a listed number fails
  with RECIPIENT_OPTED_OUT; informational messages still go. "check" prints the listed ones.`;

export async function runOptOutCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { target: { type: 'string' }, 'api-key': { type: 'string' } },
  });
  const [action, ...phoneNumbers] = positionals;
  if (action !== 'add' && action !== 'remove' && action !== 'check') throw new CliError(`give add, remove or check\n${OPT_OUT_USAGE}`);
  if (phoneNumbers.length === 0) throw new CliError(`give at least one phone number\n${OPT_OUT_USAGE}`);
  const target = values.target ?? process.env['SWITCHBOARD_TARGET'] ?? '127.0.0.1:50051';
  const metadata = apiKeyMetadata(values['api-key'] ?? process.env['SWITCHBOARD_API_KEY'] ?? DEMO_API_KEY);
  const tls = clientTlsFromEnvironment();
  const client = new GatewayAdminClient(target, tls.credentials, tls.options);
  const options = { deadline: Date.now() + 10_000 };
  const settle = <T>(resolve: (value: T) => void, reject: (error: Error) => void) => (error: ServiceError | null, response: T) =>
    error ? reject(new CliError(describeServiceError(error))) : resolve(response);
  try {
    if (action === 'add') {
      const { added } = await new Promise<{ added: number }>((resolve, reject) => client.addOptOuts({ phoneNumbers }, metadata, options, settle(resolve, reject)));
      process.stdout.write(`added ${added} (${phoneNumbers.length - added} already listed)\n`);
    } else if (action === 'remove') {
      const { removed } = await new Promise<{ removed: number }>((resolve, reject) => client.removeOptOuts({ phoneNumbers }, metadata, options, settle(resolve, reject)));
      process.stdout.write(`removed ${removed} (${phoneNumbers.length - removed} were not listed)\n`);
    } else {
      const { optedOut } = await new Promise<{ optedOut: string[] }>((resolve, reject) => client.checkOptOuts({ phoneNumbers }, metadata, options, settle(resolve, reject)));
      process.stdout.write(optedOut.length === 0 ? 'none of them is listed\n' : `${optedOut.join('\n')}\n`);
    }
  } finally {
    client.close();
  }
}
