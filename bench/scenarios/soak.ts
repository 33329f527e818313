// soak (only with --soak MINUTES): steady 60% of the bulk peak on the memory store; the gateway's
// RSS, heap, event-loop delay and queue age are sampled each second.
import type { BenchContext } from '../lib/bench-context.js';
import { BATCH_SIZE, BENCH_API_KEY, benchMessage } from '../lib/bench-config.js';
import { startGatewayUnderTest } from '../lib/gateway-under-test.js';
import { measureLoad } from '../lib/measure-load.js';
import { processRssMb } from '../lib/processes.js';
import type { SoakPoint } from '../lib/results.js';

function metric(text: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]);
}

export async function runSoak(ctx: BenchContext, minutes: number): Promise<void> {
  const peak = await ctx.bulkPeak();
  const rate = Math.round(peak * 0.6);
  const gateway = await startGatewayUnderTest(ctx, 'soak', { store: 'memory', metrics: true });
  const points: SoakPoint[] = [];
  const start = performance.now();
  let lastDelivered = 0;
  let lastAt = start;
  try {
    const result = await measureLoad(ctx, {
      scenario: 'soak',
      label: `${minutes} min at 60% of peak (${rate.toLocaleString('en-US')}/s)`,
      load: { target: gateway.address, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: 4, batchSize: BATCH_SIZE, ratePerSec: rate, durationMs: minutes * 60_000, message: benchMessage() },
      providers: [gateway.provider],
      gatewayPid: gateway.pid,
      params: { minutes, percentOfPeak: 60 },
      onSecond: (accepted, delivered) => {
        const now = performance.now();
        const deliveredPerSec = (delivered - lastDelivered) / ((now - lastAt) / 1000);
        lastDelivered = delivered;
        lastAt = now;
        const backlog = Math.max(0, accepted - delivered);
        const point: SoakPoint = {
          t: Number(((now - start) / 1000).toFixed(1)), rssMb: processRssMb(gateway.pid), heapUsedMb: 0, eventLoopDelayP99Ms: 0,
          backlog, queueAgeMs: deliveredPerSec > 0 ? Math.round((backlog / deliveredPerSec) * 1000) : 0,
        };
        points.push(point);
        // Heap and event-loop delay come from the gateway's own Prometheus metrics.
        fetch(`http://${gateway.metricsAddress}/metrics`)
          .then((response) => response.text())
          .then((text) => {
            point.heapUsedMb = Math.round(metric(text, 'switchboard_nodejs_heap_size_used_bytes') / 1e5) / 10;
            point.eventLoopDelayP99Ms = Math.round(metric(text, 'switchboard_nodejs_eventloop_lag_p99_seconds') * 1e4) / 10;
          })
          .catch(() => {});
      },
    });
    result.soak = points;
    ctx.metrics['soak.maxRssMb'] = Math.max(0, ...points.map((p) => p.rssMb));
    ctx.metrics['soak.maxEventLoopDelayP99Ms'] = Math.max(0, ...points.map((p) => p.eventLoopDelayP99Ms));
    ctx.metrics['soak.maxQueueAgeMs'] = Math.max(0, ...points.map((p) => p.queueAgeMs));
  } finally {
    await gateway.stop();
  }
}
