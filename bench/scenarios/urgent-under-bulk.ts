// urgent-under-bulk: unary urgent Send at a fixed rate, alone and while bulk runs open-loop at
// 50% of the peak; the urgent p99 should barely move. The bulk sender runs on its own thread
// (background-load.ts), so its event loop does not delay the urgent client.
//
// A third case sends the same urgent calls to a bare echo server while the same bulk load runs on
// the gateway: the part of the urgent p99 under bulk that the machine gives any process (a busy
// CPU delays the client's timers and the server's wake-ups alike), and not the gateway's own.
import { runBackgroundLoad } from '../lib/background-load.js';
import type { BenchContext } from '../lib/bench-context.js';
import { BATCH_SIZE, BENCH_API_KEY, benchMessage } from '../lib/bench-config.js';
import { startGatewayUnderTest } from '../lib/gateway-under-test.js';
import { measureLoad } from '../lib/measure-load.js';
import { startEchoServer } from '../lib/processes.js';
import { numberOrNull } from '../lib/results.js';
import { warmUpUnary } from '../lib/warm-up.js';

export const URGENT_RATE = 200;
/** Bulk runs this long before the urgent clock starts, so the measure is not of its first moment. */
const SETTLE_MS = 500;

export async function runUrgentUnderBulk(ctx: BenchContext): Promise<void> {
  const peak = await ctx.bulkPeak();
  const gateway = await startGatewayUnderTest(ctx, 'urgent', { store: 'memory' });
  const echo = await startEchoServer();
  const urgentLoad = {
    target: gateway.address, apiKey: BENCH_API_KEY, mode: 'unary' as const, concurrency: 4, batchSize: 1,
    ratePerSec: URGENT_RATE, durationMs: ctx.phaseSeconds * 1000, message: benchMessage('urgent'),
  };
  const bulkRate = Math.round(peak / 2);
  const bulkLoad = {
    target: gateway.address, apiKey: BENCH_API_KEY, mode: 'stream' as const, concurrency: 4, batchSize: BATCH_SIZE,
    ratePerSec: bulkRate, durationMs: ctx.phaseSeconds * 1000 + SETTLE_MS + 500, message: benchMessage('bulk'),
  };
  const underLabel = `under bulk ${bulkRate.toLocaleString('en-US')}/s`;
  try {
    await warmUpUnary(ctx, gateway.address, 'urgent', gateway.provider);
    const alone = await measureLoad(ctx, { scenario: 'urgent-under-bulk', label: `urgent ${URGENT_RATE}/s alone`, load: urgentLoad, gatewayPid: gateway.pid, reportCpu: false });

    const bulk = runBackgroundLoad(bulkLoad);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const under = await measureLoad(ctx, { scenario: 'urgent-under-bulk', label: `urgent ${URGENT_RATE}/s ${underLabel}`, load: urgentLoad, gatewayPid: gateway.pid, reportCpu: false, params: { bulkRatePerSec: bulkRate } });
    const bulkResult = await bulk;
    under.extra = { ...under.extra, bulkAcceptedPerSec: bulkResult.acceptedPerSec, bulkAckP99Ms: bulkResult.ackP99Ms, bulkErrors: bulkResult.errors };

    await warmUpUnary(ctx, echo.address, 'urgent');
    const echoBulk = runBackgroundLoad(bulkLoad);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const echoUnder = await measureLoad(ctx, {
      scenario: 'urgent-under-bulk', label: `the same ${URGENT_RATE}/s to a bare echo, gateway ${underLabel}`,
      load: { ...urgentLoad, target: echo.address }, gatewayPid: gateway.pid, reportCpu: false, cpuOf: { echo: echo.pid }, params: { bulkRatePerSec: bulkRate },
    });
    const echoBulkResult = await echoBulk;
    echoUnder.extra = { ...echoUnder.extra, bulkAcceptedPerSec: echoBulkResult.acceptedPerSec, bulkErrors: echoBulkResult.errors };

    ctx.metrics['urgent.aloneP99Ms'] = alone.ack?.p99 ?? null;
    ctx.metrics['urgent.underBulkP99Ms'] = under.ack?.p99 ?? null;
    ctx.metrics['urgent.underBulk.bulkAcceptedPerSec'] = bulkResult.acceptedPerSec;
    ctx.metrics['urgent.echoUnderBulkP99Ms'] = echoUnder.ack?.p99 ?? null;
    // How long the gateway's event loop waited for a CPU, per second, while it carried the bulk.
    ctx.metrics['urgent.underBulk.gatewayRunQueueMsPerSec'] = numberOrNull(under.extra['gatewayRunQueueMsPerSec']);
  } finally {
    await echo.stop();
    await gateway.stop();
  }
}
