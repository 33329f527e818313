// One `switchboard serve` process with one in-process counting provider behind it.
import type { BenchContext } from './bench-context.js';
import { writeGatewayConfig } from './bench-config.js';
import { startCountingProvider, type CountingProvider } from './counting-provider.js';
import { warmUp } from './warm-up.js';
import { startPerfRecording } from './perf-profile.js';
import { freePort, startGatewayProcess } from './processes.js';

export interface GatewayUnderTest {
  readonly address: string;
  readonly pid: number;
  readonly provider: CountingProvider;
  /** host:port of GET /metrics when asked for. */
  readonly metricsAddress: string | undefined;
  stop(): Promise<void>;
}

export async function startGatewayUnderTest(
  ctx: BenchContext,
  name: string,
  options: { store: 'memory' | 'redis'; routerWorkers?: number; metrics?: boolean; providerTps?: number },
): Promise<GatewayUnderTest> {
  const provider = await startCountingProvider(`${name}-sim`);
  let store = '{ kind: memory }';
  if (options.store === 'redis') {
    const redis = await ctx.redis();
    await redis.flush();
    store = `{ kind: redis, url: "${redis.url}", shards: 4 }`;
  }
  const metricsPort = options.metrics === true ? await freePort() : undefined;
  const config = writeGatewayConfig(ctx.dir, name, {
    store,
    providers: [{ id: 'sim', address: provider.address }],
    ...(options.routerWorkers === undefined ? {} : { routerWorkers: options.routerWorkers }),
    ...(metricsPort === undefined ? {} : { metricsPort }),
    ...(options.providerTps === undefined ? {} : { providerTps: options.providerTps }),
  });
  try {
    const gateway = await startGatewayProcess(config, ctx.gatewayNodeArgs, ctx.showGatewayOutput);
    try {
      await warmUp(ctx, gateway.address, provider, options.providerTps ?? 0);
    } catch (error) {
      await gateway.stop();
      throw error;
    }
    // After the warm-up: the profile is of the measured phases, not of the JIT compiling.
    const recording = ctx.perfDir === undefined ? undefined : startPerfRecording(gateway.pid, ctx.perfDir, `${name}-round${ctx.round}`);
    return {
      address: gateway.address,
      pid: gateway.pid,
      provider,
      metricsAddress: metricsPort === undefined ? undefined : `127.0.0.1:${metricsPort}`,
      stop: async () => {
        await recording?.stop();
        await gateway.stop();
        await provider.close();
      },
    };
  } catch (error) {
    await provider.close();
    throw error;
  }
}
