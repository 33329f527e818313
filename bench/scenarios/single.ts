// single: one message per SendStream frame, compared with the single-message echo baseline.
import type { BenchContext } from '../lib/bench-context.js';
import { BENCH_API_KEY, benchMessage } from '../lib/bench-config.js';
import { startGatewayUnderTest } from '../lib/gateway-under-test.js';
import { measureLoad } from '../lib/measure-load.js';
import { numberOrNull } from '../lib/results.js';
import { SINGLE_CONCURRENCY, SINGLE_WINDOW } from './baselines.js';

export async function runSingle(ctx: BenchContext): Promise<void> {
  const gateway = await startGatewayUnderTest(ctx, 'single', { store: 'memory' });
  try {
    const result = await measureLoad(ctx, {
      scenario: 'single',
      label: 'memory, 1 per frame',
      load: { target: gateway.address, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: SINGLE_CONCURRENCY, batchSize: 1, window: SINGLE_WINDOW, ratePerSec: 0, durationMs: ctx.phaseSeconds * 1000, message: benchMessage() },
      providers: [gateway.provider],
      gatewayPid: gateway.pid,
      params: { store: 'memory' },
    });
    ctx.metrics['single.memory.deliveredPerSec'] = result.deliveredPerSec ?? null;
    ctx.metrics['single.memory.ackP99Ms'] = result.ack?.p99 ?? null;
    ctx.metrics['single.memory.mainThreadUsPerMsg'] = numberOrNull(result.extra?.['gatewayMainThreadUsPerMsg']);
  } finally {
    await gateway.stop();
  }
}
