import { runLoad } from '../../src/loadgen/load-generator.js';
import type { BenchContext } from './bench-context.js';
import { BATCH_SIZE, BENCH_API_KEY, benchMessage } from './bench-config.js';
import type { CountingProvider } from './counting-provider.js';

/**
 * Sends unmeasured load for a moment (0.5 s quick, 3 s full) so the first measured phase does not
 * pay for JIT compilation, connection set-up and first allocations; then lets deliveries catch up.
 */
export async function warmUp(ctx: BenchContext, target: string, provider?: CountingProvider): Promise<void> {
  ctx.progress.phase(`warm-up ${target}`);
  const before = provider?.received() ?? 0;
  const result = await runLoad({
    target, apiKey: BENCH_API_KEY, mode: 'stream', concurrency: 2, batchSize: BATCH_SIZE, ratePerSec: 0,
    durationMs: ctx.quick ? 500 : 3000, message: benchMessage(),
  });
  const deadline = performance.now() + 10_000;
  while (provider !== undefined && provider.received() - before < result.accepted && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  ctx.progress.done(`${result.accepted.toLocaleString('en-US')} messages, not measured`);
}

/**
 * Warms the unary Send path too (the general warm-up uses SendStream): a scenario that measures
 * unary calls at a low rate would otherwise measure JIT compilation in its worst percentiles.
 */
export async function warmUpUnary(ctx: BenchContext, target: string, priority: 'urgent' | 'bulk'): Promise<void> {
  ctx.progress.phase(`unary warm-up ${target}`);
  const result = await runLoad({
    target, apiKey: BENCH_API_KEY, mode: 'unary', concurrency: 4, batchSize: 1, ratePerSec: 0,
    durationMs: ctx.quick ? 500 : 2000, message: benchMessage(priority),
  });
  ctx.progress.done(`${result.accepted.toLocaleString('en-US')} unary sends, not measured`);
}
