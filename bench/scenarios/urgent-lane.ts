// urgent-lane: the supplier's TPS is the bottleneck. A bulk campaign is offered at twice the
// supplier's contract TPS (so bulk queues up in the gateway), and urgent messages (OTPs, card
// alerts) go at a fixed rate, first alone and then during the campaign. The measure is the urgent
// messages' end-to-end latency (scheduled send to the supplier receiving it): with the urgent lane
// (its own queue lane, dispatcher loop and a reserved share of the supplier's TPS and window) the
// campaign's backlog must not stand in front of them. Issue #5, "priority lanes".
import { runBackgroundLoad } from '../lib/background-load.js';
import type { BenchContext } from '../lib/bench-context.js';
import { BATCH_SIZE, BENCH_API_KEY, benchMessage } from '../lib/bench-config.js';
import { startGatewayUnderTest } from '../lib/gateway-under-test.js';
import { measureLoad } from '../lib/measure-load.js';
import { warmUpUnary } from '../lib/warm-up.js';

const PROVIDER_TPS = 2_000;
const URGENT_RATE = 50;

export async function runUrgentLane(ctx: BenchContext): Promise<void> {
  const gateway = await startGatewayUnderTest(ctx, 'urgent-lane', { store: 'memory', providerTps: PROVIDER_TPS });
  const urgentLoad = {
    target: gateway.address, apiKey: BENCH_API_KEY, mode: 'unary' as const, concurrency: 2, batchSize: 1,
    ratePerSec: URGENT_RATE, durationMs: ctx.phaseSeconds * 1000, message: benchMessage('urgent'),
  };
  try {
    await warmUpUnary(ctx, gateway.address, 'urgent', gateway.provider);
    const alone = await measureLoad(ctx, {
      scenario: 'urgent-lane', label: `urgent ${URGENT_RATE}/s alone (supplier ${PROVIDER_TPS} TPS)`, load: urgentLoad,
      providers: [gateway.provider], trackEndToEnd: true, gatewayPid: gateway.pid, reportCpu: false,
    });
    const bulkRate = PROVIDER_TPS * 2;
    const bulk = runBackgroundLoad({
      target: gateway.address, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: 2, batchSize: BATCH_SIZE,
      ratePerSec: bulkRate, durationMs: ctx.phaseSeconds * 1000 + 1000, message: benchMessage('bulk'),
    });
    // Let the campaign's backlog build before the urgent clock starts.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const under = await measureLoad(ctx, {
      scenario: 'urgent-lane', label: `urgent ${URGENT_RATE}/s under bulk ${bulkRate.toLocaleString('en-US')}/s`, load: urgentLoad,
      providers: [gateway.provider], trackEndToEnd: true, gatewayPid: gateway.pid, reportCpu: false, params: { bulkRatePerSec: bulkRate, providerTps: PROVIDER_TPS },
    });
    const bulkResult = await bulk;
    under.extra = { ...under.extra, bulkAcceptedPerSec: bulkResult.acceptedPerSec, bulkErrors: bulkResult.errors };
    ctx.metrics['urgentLane.aloneE2eP99Ms'] = alone.e2e?.p99 ?? null;
    ctx.metrics['urgentLane.underBulkE2eP99Ms'] = under.e2e?.p99 ?? null;
    ctx.metrics['urgentLane.bulkAcceptedPerSec'] = bulkResult.acceptedPerSec;
  } finally {
    await gateway.stop();
  }

  // The same messages without the lane (sent as bulk, behind the campaign), on a fresh gateway: what
  // the lane saves. Informational, and the longest case of a quick run (it waits for the campaign's
  // backlog to drain), so --quick leaves it out.
  if (ctx.quick) return;
  const plain = await startGatewayUnderTest(ctx, 'urgent-lane-off', { store: 'memory', providerTps: PROVIDER_TPS });
  try {
    await warmUpUnary(ctx, plain.address, 'bulk', plain.provider);
    const bulkRate = PROVIDER_TPS * 2;
    const bulk = runBackgroundLoad({
      target: plain.address, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: 2, batchSize: BATCH_SIZE,
      ratePerSec: bulkRate, durationMs: ctx.phaseSeconds * 1000 + 1000, message: benchMessage('bulk'),
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const withoutLane = await measureLoad(ctx, {
      scenario: 'urgent-lane', label: `the same ${URGENT_RATE}/s as bulk, behind the campaign (no lane)`, load: { ...urgentLoad, target: plain.address, message: benchMessage('bulk') },
      providers: [plain.provider], trackEndToEnd: true, gatewayPid: plain.pid, reportCpu: false, params: { bulkRatePerSec: bulkRate, providerTps: PROVIDER_TPS },
    });
    await bulk;
    ctx.metrics['urgentLane.withoutLaneE2eP99Ms'] = withoutLane.e2e?.p99 ?? null;
  } finally {
    await plain.stop();
  }
}
