import { parseArgs } from 'node:util';
import type { Config } from '../config/config.js';
import { startGatewayNode, TlsFilesError } from '../gateway/gateway-node.js';
import { CliError } from './cli-error.js';
import { gcPacingApplies, startGcPacing } from './gc-pacing.js';
import { loadConfigFile } from '../config/load-config-file.js';
import { loadConfigOrFail } from './load-config-or-fail.js';
import { waitForShutdownSignal } from './wait-for-shutdown-signal.js';

export const SERVE_USAGE = `switchboard serve --config FILE [--listen HOST:PORT]
  Runs one gateway node from a config file until SIGTERM or SIGINT, then drains and exits.
  SIGHUP reloads the file: a valid one applies to new messages, an invalid one is refused.`;

export async function runServeCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, listen: { type: 'string' } }, strict: true });
  const path = values.config ?? process.env['SWITCHBOARD_CONFIG'];
  if (path === undefined) throw new CliError(`--config FILE is required (or set SWITCHBOARD_CONFIG)\n${SERVE_USAGE}`);
  const listenOverride = (c: Config): Config => (values.listen === undefined ? c : { ...c, server: { ...c.server, listen: values.listen } });
  const config = listenOverride(await loadConfigOrFail(path));
  const stopGcPacing = gcPacingApplies(config, process.execArgv) ? startGcPacing(config.store.heapBudgetMb) : () => {};
  const node = await startGatewayNode(config, {
    loadConfig: async () => {
      const result = await loadConfigFile(path);
      return result.ok ? { ok: true, config: listenOverride(result.config) } : result;
    },
  }).catch((error: unknown) => {
    throw error instanceof TlsFilesError ? new CliError(`${path}: the node cannot start:\n${error.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`) : error;
  });
  // SIGHUP: read the file again; a valid one is swapped in for new messages, an invalid one is
  // refused with every problem listed and the running config keeps serving.
  let reloading = Promise.resolve();
  const onHangup = (): void => {
    reloading = reloading.then(async () => {
      const outcome = await node.reloadFromSource();
      if (outcome.ok) process.stdout.write(`reloaded ${path}\n`);
      else process.stdout.write(`reload refused, still serving the previous config:\n${outcome.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`);
    });
  };
  process.on('SIGHUP', onHangup);
  // Listen for the signal before saying "listening": whoever reads the line may signal at once.
  const shutdown = waitForShutdownSignal();
  // The bound port, for a metricsListen of port 0 (several nodes from one config file).
  if (node.metricsAddress !== null) process.stdout.write(`switchboard metrics on http://${node.metricsAddress}/metrics\n`);
  process.stdout.write(`switchboard gateway listening on ${node.address} (store: ${config.store.kind})\n`);
  await shutdown;
  process.off('SIGHUP', onHangup);
  await reloading;
  await node.stop();
  stopGcPacing();
}
