// Baselines measured in the same run, so the gateway's figures are ratios that hold on any
// machine: the bare grpc-js echo (the gRPC ceiling, batched and one message per frame, same
// client and message) and a bare ioredis pipelined XADD loop (the store ceiling).
import { Redis } from 'ioredis';
import type { BenchContext } from '../lib/bench-context.js';
import { BATCH_SIZE, BENCH_API_KEY, benchMessage } from '../lib/bench-config.js';
import { measureLoad } from '../lib/measure-load.js';
import { warmUp, warmUpUnary } from '../lib/warm-up.js';
import { URGENT_RATE } from './urgent-under-bulk.js';
import { startEchoServer } from '../lib/processes.js';
import { numberOrNull, type SeriesPoint } from '../lib/results.js';

/** Streams and in-flight frames of the single-message runs (echo and gateway alike). */
export const SINGLE_CONCURRENCY = 4;
export const SINGLE_WINDOW = 64;

export async function runBaselines(ctx: BenchContext): Promise<void> {
  const echo = await startEchoServer();
  try {
    await warmUp(ctx, echo.address);
    let best = 0;
    for (const streams of [1, 4]) {
      const result = await measureLoad(ctx, {
        scenario: 'baseline',
        label: `grpc echo batched x${streams}`,
        cpuOf: { echo: echo.pid },
      load: { target: echo.address, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: streams, batchSize: BATCH_SIZE, ratePerSec: 0, durationMs: ctx.phaseSeconds * 1000, message: benchMessage() },
      });
      if (result.acceptedPerSec > best) {
        best = result.acceptedPerSec;
        ctx.metrics['baseline.echoBatched.mainThreadUsPerMsg'] = numberOrNull(result.extra?.['echoMainThreadUsPerMsg']);
      }
    }
    ctx.metrics['baseline.echoBatched.msgsPerSec'] = best;
    const single = await measureLoad(ctx, {
      scenario: 'baseline',
      label: 'grpc echo single',
      cpuOf: { echo: echo.pid },
      load: { target: echo.address, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: SINGLE_CONCURRENCY, batchSize: 1, window: SINGLE_WINDOW, ratePerSec: 0, durationMs: ctx.phaseSeconds * 1000, message: benchMessage() },
    });
    ctx.metrics['baseline.echoSingle.msgsPerSec'] = single.acceptedPerSec;
    ctx.metrics['baseline.echoSingle.mainThreadUsPerMsg'] = numberOrNull(single.extra?.['echoMainThreadUsPerMsg']);
    // The floor under the urgent scenario's "alone" p99: the same unary calls at the same rate,
    // answered at once. On a shared or virtual machine this p99 is the scheduler's, not gRPC's.
    await warmUpUnary(ctx, echo.address, 'urgent');
    const unary = await measureLoad(ctx, {
      scenario: 'baseline',
      label: `grpc echo unary ${URGENT_RATE}/s`,
      load: { target: echo.address, apiKey: BENCH_API_KEY, mode: 'unary', concurrency: 4, batchSize: 1, ratePerSec: URGENT_RATE, durationMs: ctx.phaseSeconds * 1000, message: benchMessage('urgent') },
    });
    ctx.metrics['baseline.echoUnary.ackP99Ms'] = unary.ack?.p99 ?? null;
  } finally {
    await echo.stop();
  }
  await runXaddBaseline(ctx);
}

/** The size of one stored message: an accepted message as JSON, as the Redis store writes it. */
export const ENTRY = JSON.stringify({
  messageId: '01JD8Z3Q9K7M2N4P6R8T0V2X4Z', tenant: 'bench', clientRef: '', recipient: '+821012345678', sender: '15880000',
  templateId: 'alert', variables: { name: '김철수', amount: '12,000' }, body: '', subject: '', kind: 'informational',
  nightConsent: false, priority: 'bulk', channel: null, acceptedAtMs: 1764151200000, expiresAtMs: 1764237600000, tags: [],
});

async function runXaddBaseline(ctx: BenchContext): Promise<void> {
  const redis = await ctx.redis();
  await redis.flush();
  ctx.progress.phase('baseline redis XADD pipelined');
  const loops = 4;
  const clients = Array.from({ length: loops }, () => new Redis(redis.url));
  const start = performance.now();
  const endAt = start + ctx.phaseSeconds * 1000;
  let written = 0;
  let intervalWritten = 0;
  const series: SeriesPoint[] = [];
  let lastAt = start;
  const sampler = setInterval(() => {
    const now = performance.now();
    const rate = Math.round(intervalWritten / ((now - lastAt) / 1000));
    lastAt = now;
    intervalWritten = 0;
    series.push({ t: Number(((now - start) / 1000).toFixed(2)), acceptedPerSec: rate });
    ctx.progress.update({ acceptedPerSec: rate });
  }, 1000);
  try {
    await Promise.all(
      clients.map(async (client, i) => {
        const key = `bench:xadd:${i}`;
        while (performance.now() < endAt) {
          const pipeline = client.pipeline();
          // Trimmed so a long run does not fill the server's memory; approximate trim is cheap.
          for (let n = 0; n < BATCH_SIZE; n++) pipeline.xadd(key, 'MAXLEN', '~', '100000', '*', 'm', ENTRY);
          await pipeline.exec();
          written += BATCH_SIZE;
          intervalWritten += BATCH_SIZE;
        }
      }),
    );
  } finally {
    clearInterval(sampler);
    for (const client of clients) client.disconnect();
  }
  const perSec = Math.round(written / ((performance.now() - start) / 1000));
  ctx.metrics['baseline.redisXadd.entriesPerSec'] = perSec;
  ctx.progress.done(`${perSec.toLocaleString('en-US')} entries/s (${ENTRY.length} bytes each)`);
  ctx.results.push({
    scenario: 'baseline', label: 'redis XADD pipelined',
    params: { loops, pipeline: BATCH_SIZE, entryBytes: ENTRY.length, durationMs: ctx.phaseSeconds * 1000 },
    sent: written, accepted: written, rejected: 0, errors: 0, acceptedPerSec: perSec, series,
  });
}
