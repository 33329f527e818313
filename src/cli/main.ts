#!/usr/bin/env node
import { BENCH_USAGE, runBenchCommand } from './bench-command.js';
import { sendGrpcLibraryLogsToLog } from '../grpc-library-log.js';
import { CliError } from './cli-error.js';
import { CONFIG_CHECK_USAGE, runConfigCheckCommand } from './config-check-command.js';
import { DEMO_USAGE, runDemoCommand } from './demo-command.js';
import { OPT_OUT_USAGE, runOptOutCommand } from './opt-out-command.js';
import { PROVIDER_CHECK_USAGE, runProviderCheckCommand } from './provider-check-command.js';
import { PROVIDERS_USAGE, runProvidersCommand } from './providers-command.js';
import { ROUTE_EXPLAIN_USAGE, runRouteCommand } from './route-explain-command.js';
import { runSendCommand, SEND_USAGE } from './send-command.js';
import { runServeCommand, SERVE_USAGE } from './serve-command.js';
import { runSimProviderCommand, SIM_PROVIDER_USAGE } from './sim-provider-command.js';
import { runSmscSimCommand, SMSC_SIM_USAGE } from './smsc-sim-command.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  serve: runServeCommand,
  demo: runDemoCommand,
  send: runSendCommand,
  config: runConfigCheckCommand,
  'opt-out': runOptOutCommand,
  providers: runProvidersCommand,
  route: runRouteCommand,
  'sim-provider': runSimProviderCommand,
  'provider-check': runProviderCheckCommand,
  'smsc-sim': runSmscSimCommand,
  bench: runBenchCommand,
};

const USAGE = `usage: switchboard <command> [options]

${[SERVE_USAGE, DEMO_USAGE, SEND_USAGE, ROUTE_EXPLAIN_USAGE, OPT_OUT_USAGE, PROVIDERS_USAGE, CONFIG_CHECK_USAGE, SIM_PROVIDER_USAGE, PROVIDER_CHECK_USAGE, SMSC_SIM_USAGE, BENCH_USAGE].join('\n\n')}

Commands that call a gateway or a supplier speak TLS when SWITCHBOARD_TLS_CA names the PEM file of
the CA that signed its certificate, and mutual TLS with SWITCHBOARD_TLS_CERT and SWITCHBOARD_TLS_KEY
(SWITCHBOARD_TLS_SERVER_NAME: the name on its certificate, when it is not the target's host).
`;

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  const command = COMMANDS[name];
  if (command === undefined) throw new CliError(`unknown command "${name}"\n\n${USAGE}`);
  await command(rest);
}

sendGrpcLibraryLogsToLog();
main(process.argv.slice(2)).then(
  // Exit explicitly: a finished command must not linger on open handles (timers, sockets).
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    const usageProblem = error instanceof CliError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
    process.stderr.write(`switchboard: ${usageProblem ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
    process.exit(usageProblem ? 2 : 1);
  },
);
