import { parseArgs } from 'node:util';
import { startGatewayNode } from '../gateway/gateway-node.js';
import { CliError } from './cli-error.js';
import { loadConfigOrFail } from './load-config-or-fail.js';
import { waitForShutdownSignal } from './wait-for-shutdown-signal.js';

export const SERVE_USAGE = `switchboard serve --config FILE [--listen HOST:PORT]
  Runs one gateway node from a config file until SIGTERM or SIGINT, then drains and exits.`;

export async function runServeCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, listen: { type: 'string' } }, strict: true });
  const path = values.config ?? process.env['SWITCHBOARD_CONFIG'];
  if (path === undefined) throw new CliError(`--config FILE is required (or set SWITCHBOARD_CONFIG)\n${SERVE_USAGE}`);
  let config = await loadConfigOrFail(path);
  if (values.listen !== undefined) config = { ...config, server: { ...config.server, listen: values.listen } };
  const node = await startGatewayNode(config);
  process.stdout.write(`switchboard gateway listening on ${node.address} (store: ${config.store.kind})\n`);
  await waitForShutdownSignal();
  await node.stop();
}
