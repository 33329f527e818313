import { parseArgs } from 'node:util';
import { toProviderChannel } from '../channels/provider-channel.js';
import { startSimProvider, type SimProvider } from '../channels/sim-provider.js';
import type { Config } from '../config/config.js';
import { startGatewayNode } from '../gateway/gateway-node.js';
import { loadConfigOrFail } from './load-config-or-fail.js';
import { waitForShutdownSignal } from './wait-for-shutdown-signal.js';

export const DEMO_USAGE = `switchboard demo [--config FILE] [--listen HOST:PORT]
  Runs a gateway with one simulated provider for each provider in the config (default
  config/demo.yaml, on the embedded memory store; REDIS_URL switches it to Redis), until SIGTERM or SIGINT.`;

export async function runDemoCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, listen: { type: 'string' } }, strict: true });
  const config = await loadConfigOrFail(values.config ?? 'config/demo.yaml');

  const sims: SimProvider[] = [];
  try {
    for (const provider of config.providers) {
      sims.push(
        await startSimProvider({ id: provider.id, channels: provider.channels.map(toProviderChannel), latencyMs: 5, dlrDelayMs: 300 }),
      );
    }
    // The simulated providers listen on free ports; point the config's providers at them.
    const demoConfig: Config = {
      ...config,
      server: values.listen === undefined ? config.server : { ...config.server, listen: values.listen },
      providers: config.providers.map((p, i) => ({ ...p, address: sims[i]?.address ?? p.address })),
    };
    const node = await startGatewayNode(demoConfig);
    const lines = [
      `switchboard demo: gateway listening on ${node.address} (${config.store.kind === 'memory' ? 'memory store: not durable, for trying things out' : 'redis store'})`,
      ...demoConfig.providers.map((p) => `  simulated provider ${p.id} (${p.channels.join(', ')}) on ${p.address}`),
      `  tenant API key for the demo: see config/demo.yaml (the CLI uses it by default)`,
      `try: npx switchboard send --target ${node.address} --to 010-1234-5678 --template welcome --var name=Kim`,
    ];
    // Listen for the signal before printing: whoever reads the lines may signal at once.
    const shutdown = waitForShutdownSignal();
    process.stdout.write(`${lines.join('\n')}\n`);
    await shutdown;
    await node.stop();
  } finally {
    await Promise.all(sims.map((sim) => sim.close()));
  }
}
