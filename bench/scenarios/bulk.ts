// bulk: batched SendStream as fast as flow control allows, 1 and 4 streams, memory and Redis
// store (AOF everysec); and, outside --quick, the 2,000,000-message run whose RSS is bounded.
import type { BenchContext } from '../lib/bench-context.js';
import { BATCH_SIZE, BENCH_API_KEY, benchMessage } from '../lib/bench-config.js';
import { startGatewayUnderTest, type GatewayUnderTest } from '../lib/gateway-under-test.js';
import { measureLoad } from '../lib/measure-load.js';
import { numberOrNull } from '../lib/results.js';
import type { LoadOptions } from '../../src/loadgen/load-generator.js';

export const MEMORY_RUN_MESSAGES = 2_000_000;

export async function runBulk(ctx: BenchContext): Promise<void> {
  for (const store of ['memory', 'redis'] as const) {
    const gateway = await startGatewayUnderTest(ctx, `bulk-${store}`, { store });
    const cpuOf = store === 'redis' ? { redis: (await ctx.redis()).pid } : {};
    try {
      let best = 0;
      for (const streams of [1, 4]) {
        const result = await measureLoad(ctx, {
          scenario: 'bulk',
          label: `${store} x${streams}`,
          load: closedLoopLoad(ctx, gateway, streams),
          providers: [gateway.provider],
          gatewayPid: gateway.pid,
          cpuOf,
          params: { store },
        });
        if ((result.deliveredPerSec ?? 0) > best) {
          best = result.deliveredPerSec ?? 0;
          ctx.metrics[`bulk.${store}.mainThreadUsPerMsg`] = numberOrNull(result.extra?.['gatewayMainThreadUsPerMsg']);
          if (store === 'redis') ctx.metrics['bulk.redis.redisMainThreadUsPerMsg'] = numberOrNull(result.extra?.['redisMainThreadUsPerMsg']);
        }
        ctx.metrics[`bulk.${store}.x${streams}.deliveredPerSec`] = result.deliveredPerSec ?? null;
        ctx.metrics[`bulk.${store}.x${streams}.acceptedPerSec`] = result.acceptedPerSec;
        ctx.metrics[`bulk.${store}.x${streams}.ackP99Ms`] = result.ack?.p99 ?? null;
      }
      ctx.metrics[`bulk.${store}.deliveredPerSec`] = best;
      await runWithClientRefs(ctx, store, gateway, cpuOf);
    } finally {
      await gateway.stop();
    }
  }
  // Once per run: its bound holds or not, and it is the longest phase.
  if (!ctx.quick && ctx.round === 1) await runMemoryBoundRun(ctx);
}

/**
 * Bulk x4 again with a client_ref on every message, as a client that resends safely sends it: the
 * gateway checks each against its client_ref window and keeps it there, and the supplier gets an
 * idempotency key. Informational (no target): what the references cost, against the run without.
 */
async function runWithClientRefs(ctx: BenchContext, store: 'memory' | 'redis', gateway: GatewayUnderTest, cpuOf: { redis?: number }): Promise<void> {
  const result = await measureLoad(ctx, {
    scenario: 'bulk',
    label: `${store} x4, client_ref each`,
    load: { ...closedLoopLoad(ctx, gateway, 4), clientRefPrefix: `bench-${store}-` },
    providers: [gateway.provider],
    gatewayPid: gateway.pid,
    cpuOf,
    params: { store, clientRefs: 'each message' },
  });
  ctx.metrics[`bulk.${store}.clientRefs.deliveredPerSec`] = result.deliveredPerSec ?? null;
  ctx.metrics[`bulk.${store}.clientRefs.mainThreadUsPerMsg`] = numberOrNull(result.extra?.['gatewayMainThreadUsPerMsg']);
  if (store === 'redis') ctx.metrics['bulk.redis.clientRefs.redisMainThreadUsPerMsg'] = numberOrNull(result.extra?.['redisMainThreadUsPerMsg']);
}

/** One phase of closed-loop SendStream frames of BATCH_SIZE bench messages on `streams` streams. */
function closedLoopLoad(ctx: BenchContext, gateway: GatewayUnderTest, streams: number): LoadOptions {
  return { target: gateway.address, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: streams, batchSize: BATCH_SIZE, ratePerSec: 0, durationMs: ctx.phaseSeconds * 1000, message: benchMessage() };
}

/** 2,000,000 messages through a fresh gateway; its peak RSS is the memory target. */
async function runMemoryBoundRun(ctx: BenchContext): Promise<void> {
  const messages = ctx.memoryRunMessages;
  const gateway = await startGatewayUnderTest(ctx, 'bulk-2m', { store: 'memory', metrics: true });
  // The gateway's heap as its /metrics says, every 5 s: where the RSS goes (live heap, heap V8 keeps, memory outside it).
  const heap = { usedMaxMb: 0, totalMaxMb: 0, externalMaxMb: 0 };
  let seconds = 0;
  const sampleHeap = async (): Promise<void> => {
    const text = await (await fetch(`http://${gateway.metricsAddress}/metrics`)).text();
    const mb = (name: string): number => Math.round(Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0) / 1e5) / 10;
    heap.usedMaxMb = Math.max(heap.usedMaxMb, mb('switchboard_nodejs_heap_size_used_bytes'));
    heap.totalMaxMb = Math.max(heap.totalMaxMb, mb('switchboard_nodejs_heap_size_total_bytes'));
    heap.externalMaxMb = Math.max(heap.externalMaxMb, mb('switchboard_nodejs_external_memory_bytes'));
    if (process.env['BENCH_HEAP_TRACE'] !== undefined) process.stderr.write(`\nheap ${seconds}s ${JSON.stringify(heap)} used=${mb('switchboard_nodejs_heap_size_used_bytes')} total=${mb('switchboard_nodejs_heap_size_total_bytes')} ext=${mb('switchboard_nodejs_external_memory_bytes')} rss=${mb('switchboard_process_resident_memory_bytes')}\n`);
  };
  try {
    const result = await measureLoad(ctx, {
      scenario: 'bulk',
      label: `memory x4, ${messages.toLocaleString('en-US')} messages`,
      load: { target: gateway.address, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: 4, batchSize: BATCH_SIZE, ratePerSec: 0, durationMs: 900_000, maxMessages: messages, message: benchMessage() },
      providers: [gateway.provider],
      gatewayPid: gateway.pid,
      params: { store: 'memory', maxMessages: messages },
      onSecond: () => {
        if (++seconds % 5 === 0) sampleHeap().catch(() => undefined);
      },
    });
    await sampleHeap().catch(() => undefined);
    result.extra = { ...result.extra, heapUsedMaxMb: heap.usedMaxMb, heapTotalMaxMb: heap.totalMaxMb, externalMaxMb: heap.externalMaxMb };
    const peak = result.extra?.['peakRssMb'];
    // Only a run of the full 2,000,000 that got all its messages through counts for the target.
    const counts = messages >= MEMORY_RUN_MESSAGES && result.accepted >= messages && typeof peak === 'number';
    ctx.metrics['memory.bulk2m.maxRssMb'] = counts ? peak : null;
    ctx.metrics['memory.bulk2m.accepted'] = result.accepted;
    ctx.metrics['memory.bulk2m.peakRssMb'] = typeof peak === 'number' ? peak : null;
  } finally {
    await gateway.stop();
  }
}
