// router: messages per second rendered and routed, inline and on 1, 2 and 4 worker threads,
// driven only through the public createRouter/route API (the internals change independently).
import { loadConfigFile } from '../../src/config/load-config-file.js';
import type { RouteRequest } from '../../src/router/route-types.js';
import { createRouter } from '../../src/router/router.js';
import { createBatchRouter } from '../../src/router/route-batch.js';
import { decodeRouteResults, encodeRouteResults, encodeRouteTask } from '../../src/router/route-task-codec.js';
import type { BenchContext } from '../lib/bench-context.js';
import { writeGatewayConfig } from '../lib/bench-config.js';
import type { SeriesPoint } from '../lib/results.js';

const ROUTE_BATCH = 1000;

export async function runRouter(ctx: BenchContext): Promise<void> {
  const loaded = await loadConfigFile(writeGatewayConfig(ctx.dir, 'router', { store: '{ kind: memory }', providers: [{ id: 'sim', address: '127.0.0.1:1' }] }));
  if (!loaded.ok) throw new Error(`bench router config is invalid: ${JSON.stringify(loaded.issues)}`);
  const requests: RouteRequest[] = Array.from({ length: ROUTE_BATCH }, (_, i) => ({
    messageId: `bench-${i}`, tenant: 'bench', templateId: 'alert', variables: { name: '김철수', amount: `${i},000` },
    body: '', subject: '', kind: 'informational', nightConsent: false, channel: null,
    recipient: '+821012345678', priority: 'normal', tags: [],
  }));
  measureHandOff(ctx, requests, loaded.config.routing);
  // In-process and steady within a second; --quick keeps it short.
  const seconds = ctx.quick ? Math.min(1, ctx.phaseSeconds) : ctx.phaseSeconds;
  for (const workers of [0, 1, 2, 4]) {
    const label = workers === 0 ? 'inline' : `${workers} worker${workers > 1 ? 's' : ''}`;
    ctx.progress.phase(`router ${label}`);
    const router = createRouter({ workers, batchSize: ROUTE_BATCH }, loaded.config.routing);
    try {
      await router.route(requests, Date.now()); // warm up: threads started, code compiled
      // The main thread's busy time over the phase: routing itself inline, the hand-off with workers.
      const utilizationAtStart = performance.eventLoopUtilization();
      const start = performance.now();
      const endAt = start + seconds * 1000;
      let routed = 0;
      let intervalRouted = 0;
      let lastAt = start;
      const series: SeriesPoint[] = [];
      const sampler = setInterval(() => {
        const now = performance.now();
        const rate = Math.round(intervalRouted / ((now - lastAt) / 1000));
        lastAt = now;
        intervalRouted = 0;
        series.push({ t: Number(((now - start) / 1000).toFixed(2)), acceptedPerSec: rate });
        ctx.progress.update({ acceptedPerSec: rate });
      }, 1000);
      // Two batches per thread in flight keep every worker busy while results travel back.
      await Promise.all(
        Array.from({ length: Math.max(1, workers * 2) }, async () => {
          while (performance.now() < endAt) {
            const results = await router.route(requests, Date.now());
            routed += results.length;
            intervalRouted += results.length;
          }
        }),
      );
      clearInterval(sampler);
      const perSec = Math.round(routed / ((performance.now() - start) / 1000));
      const mainThreadUsPerMessage = Number(((performance.eventLoopUtilization(utilizationAtStart).active * 1000) / routed).toFixed(2));
      const key = `router.${workers === 0 ? 'inline' : `workers${workers}`}`;
      ctx.metrics[`${key}.msgsPerSec`] = perSec;
      ctx.metrics[`${key}.mainThreadUsPerMessage`] = mainThreadUsPerMessage;
      ctx.progress.done(`${perSec.toLocaleString('en-US')} msgs/s, main thread ${mainThreadUsPerMessage} µs per message`);
      ctx.results.push({ scenario: 'router', label, params: { workers, batchSize: ROUTE_BATCH, durationMs: seconds * 1000 }, sent: routed, accepted: routed, rejected: 0, errors: 0, acceptedPerSec: perSec, series });
    } finally {
      await router.close();
    }
  }
}

/**
 * The main thread's share of routing on workers, per message: building a batch's task and reading
 * its results back, in the compact form the router uses and as JSON (what it replaced), timed on
 * the same batch in the same run.
 */
function measureHandOff(ctx: BenchContext, requests: readonly RouteRequest[], routing: Parameters<typeof createBatchRouter>[0]): void {
  ctx.progress.phase('router hand-off');
  const results = createBatchRouter(routing)(requests, Date.now());
  // What a worker sends back, built once: only the main thread's side is timed.
  const workerAnswer = encodeRouteResults(results);
  const jsonAnswer = JSON.stringify(results);
  const rounds = ctx.quick ? 200 : 1000;
  const time = (handOff: () => void): number => {
    for (let i = 0; i < 20; i++) handOff(); // warm up
    const start = performance.now();
    for (let i = 0; i < rounds; i++) handOff();
    return Number((((performance.now() - start) * 1000) / rounds / requests.length).toFixed(3));
  };
  const compactUs = time(() => decodeRouteResults(workerAnswer).length + encodeRouteTask(0, requests).length);
  const jsonUs = time(() => (JSON.parse(jsonAnswer) as unknown[]).length + JSON.stringify({ nowMs: 0, requests }).length);
  ctx.metrics['router.handOff.compactUsPerMessage'] = compactUs;
  ctx.metrics['router.handOff.jsonUsPerMessage'] = jsonUs;
  ctx.progress.done(`main thread per message: compact ${compactUs} µs, JSON ${jsonUs} µs`);
}
