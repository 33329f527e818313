// latency: open loop at 25, 50 and 75% of the bulk peak; ack and end-to-end percentiles measured
// from each frame's scheduled send time. --quick leaves out 75% (no target refers to it); 25% stays,
// as the phase that brings the gateway to a steady state before 50%, whose figures are targets.
import type { BenchContext } from '../lib/bench-context.js';
import { BATCH_SIZE, BENCH_API_KEY, benchMessage } from '../lib/bench-config.js';
import { startGatewayUnderTest } from '../lib/gateway-under-test.js';
import { measureLoad } from '../lib/measure-load.js';

export async function runLatency(ctx: BenchContext): Promise<void> {
  const peak = await ctx.bulkPeak();
  const gateway = await startGatewayUnderTest(ctx, 'latency', { store: 'memory' });
  try {
    for (const percent of ctx.quick ? [25, 50] : [25, 50, 75]) {
      const rate = Math.max(100, Math.round((peak * percent) / 100));
      const result = await measureLoad(ctx, {
        scenario: 'latency',
        label: `${percent}% of peak (${rate.toLocaleString('en-US')}/s)`,
        load: { target: gateway.address, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: 4, batchSize: BATCH_SIZE, ratePerSec: rate, durationMs: ctx.phaseSeconds * 1000, message: benchMessage() },
        providers: [gateway.provider],
        trackEndToEnd: true,
        gatewayPid: gateway.pid,
        params: { store: 'memory', percentOfPeak: percent, peak },
      });
      ctx.metrics[`latency.${percent}.offeredPerSec`] = rate;
      ctx.metrics[`latency.${percent}.ackP50Ms`] = result.ack?.p50 ?? null;
      ctx.metrics[`latency.${percent}.ackP99Ms`] = result.ack?.p99 ?? null;
      ctx.metrics[`latency.${percent}.ackP999Ms`] = result.ack?.p999 ?? null;
      ctx.metrics[`latency.${percent}.e2eP99Ms`] = result.e2e?.p99 ?? null;
    }
  } finally {
    await gateway.stop();
  }
}
