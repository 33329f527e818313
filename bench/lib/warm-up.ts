import { runLoad } from '../../src/loadgen/load-generator.js';
import type { BenchContext } from './bench-context.js';
import { BATCH_SIZE, BENCH_API_KEY, benchMessage } from './bench-config.js';
import type { CountingProvider } from './counting-provider.js';

/**
 * Sends unmeasured load for a moment (0.5 s quick, 3 s full) so the first measured phase does not
 * pay for JIT compilation, connection set-up and first allocations; then lets deliveries catch up.
 * `ratePerSec` (0: as fast as flow control allows) keeps a supplier with a TPS limit from being
 * left with a backlog that the measured phases would drain.
 */
export async function warmUp(ctx: BenchContext, target: string, provider?: CountingProvider, ratePerSec = 0): Promise<void> {
  ctx.progress.phase(`warm-up ${target}`);
  const before = provider?.received() ?? 0;
  const result = await runLoad({
    target, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: 2, batchSize: BATCH_SIZE, ratePerSec,
    durationMs: ctx.quick ? 500 : 3000, message: benchMessage(),
  });
  await waitForDeliveries(provider, before, result.accepted);
  ctx.progress.done(`${result.accepted.toLocaleString('en-US')} messages, not measured`);
}

/** Waits (at most 30 s) until `provider` has received `accepted` messages more than `before`. */
async function waitForDeliveries(provider: CountingProvider | undefined, before: number, accepted: number): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (provider !== undefined && provider.received() - before < accepted && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const missing = provider === undefined ? 0 : accepted - (provider.received() - before);
  if (missing > 0) process.stderr.write(`\nwarning: ${missing} warm-up messages not delivered after 30 s; the next phase measures with them queued\n`);
}

/**
 * Warms the unary Send path too (the general warm-up uses SendStream): a scenario that measures
 * unary calls at a low rate would otherwise measure JIT compilation in its worst percentiles.
 */
export async function warmUpUnary(ctx: BenchContext, target: string, priority: 'urgent' | 'bulk', provider?: CountingProvider): Promise<void> {
  ctx.progress.phase(`unary warm-up ${target}`);
  const before = provider?.received() ?? 0;
  const result = await runLoad({
    target, apiKey: BENCH_API_KEY, mode: 'unary', concurrency: 4, batchSize: 1, ratePerSec: 0,
    durationMs: ctx.quick ? 500 : 2000, message: benchMessage(priority),
  });
  // Behind a supplier with a TPS limit the warm-up leaves a backlog; the first phase must not measure it draining.
  await waitForDeliveries(provider, before, result.accepted);
  ctx.progress.done(`${result.accepted.toLocaleString('en-US')} unary sends, not measured`);
}
