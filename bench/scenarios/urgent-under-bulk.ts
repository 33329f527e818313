// urgent-under-bulk: unary urgent Send at a fixed rate, alone and while bulk runs open-loop at
// 50% of the peak; the urgent p99 should barely move. The bulk sender runs on its own thread
// (background-load.ts), so its event loop does not delay the urgent client.
import { runBackgroundLoad } from '../lib/background-load.js';
import type { BenchContext } from '../lib/bench-context.js';
import { BATCH_SIZE, BENCH_API_KEY, benchMessage } from '../lib/bench-config.js';
import { startGatewayUnderTest } from '../lib/gateway-under-test.js';
import { measureLoad } from '../lib/measure-load.js';
import { warmUpUnary } from '../lib/warm-up.js';

export const URGENT_RATE = 200;

export async function runUrgentUnderBulk(ctx: BenchContext): Promise<void> {
  const peak = await ctx.bulkPeak();
  const gateway = await startGatewayUnderTest(ctx, 'urgent', { store: 'memory' });
  const urgentLoad = {
    target: gateway.address, apiKey: BENCH_API_KEY, mode: 'unary' as const, concurrency: 4, batchSize: 1,
    ratePerSec: URGENT_RATE, durationMs: ctx.phaseSeconds * 1000, message: benchMessage('urgent'),
  };
  try {
    await warmUpUnary(ctx, gateway.address, 'urgent', gateway.provider);
    const alone = await measureLoad(ctx, { scenario: 'urgent-under-bulk', label: `urgent ${URGENT_RATE}/s alone`, load: urgentLoad, gatewayPid: gateway.pid, reportCpu: false });
    const bulkRate = Math.round(peak / 2);
    const bulk = runBackgroundLoad({
      target: gateway.address, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: 4, batchSize: BATCH_SIZE,
      ratePerSec: bulkRate, durationMs: ctx.phaseSeconds * 1000 + 1000, message: benchMessage('bulk'),
    });
    // Let the bulk load settle before the urgent clock starts.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const under = await measureLoad(ctx, { scenario: 'urgent-under-bulk', label: `urgent ${URGENT_RATE}/s under bulk ${bulkRate.toLocaleString('en-US')}/s`, load: urgentLoad, gatewayPid: gateway.pid, reportCpu: false, params: { bulkRatePerSec: bulkRate } });
    const bulkResult = await bulk;
    under.extra = { ...under.extra, bulkAcceptedPerSec: bulkResult.acceptedPerSec, bulkAckP99Ms: bulkResult.ackP99Ms, bulkErrors: bulkResult.errors };
    ctx.metrics['urgent.aloneP99Ms'] = alone.ack?.p99 ?? null;
    ctx.metrics['urgent.underBulkP99Ms'] = under.ack?.p99 ?? null;
    ctx.metrics['urgent.underBulk.bulkAcceptedPerSec'] = bulkResult.acceptedPerSec;
  } finally {
    await gateway.stop();
  }
}
