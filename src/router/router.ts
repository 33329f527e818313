import { Piscina } from 'piscina';
import type { RouterSettings, RoutingTable } from '../config/config.js';
import { compileTextRules } from './compile-text-rules.js';
import { createBatchRouter } from './route-batch.js';
import type { RouteRequest, RouteResult } from './route-types.js';

/** Renders and routes batches of messages, inline or on a pool of worker threads. */
export interface Router {
  /** One result per request, same order. */
  route(requests: readonly RouteRequest[]): Promise<RouteResult[]>;
  close(): Promise<void>;
}

/** Creates the router for settings.workers: 0 routes inline, more uses a Piscina pool of that size. */
export function createRouter(settings: RouterSettings, routing: RoutingTable): Router {
  // Checked here on the main thread too, so a bad rule stops the start instead of every worker task.
  compileTextRules(routing.text);
  if (settings.workers === 0) {
    const routeBatch = createBatchRouter(routing);
    return { route: async (requests) => routeBatch(requests), close: async () => {} };
  }
  const pool = new Piscina({
    filename: new URL('./router-worker.js', import.meta.url).href,
    workerData: { routing },
    // Fixed pool size: threads are started once and never stopped for being idle (no churn).
    minThreads: settings.workers,
    maxThreads: settings.workers,
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  return {
    route: async (requests) => JSON.parse((await pool.run(JSON.stringify(requests))) as string) as RouteResult[],
    close: () => pool.destroy(),
  };
}
