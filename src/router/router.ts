import { Piscina } from 'piscina';
import type { RouterSettings, RoutingTable } from '../config/config.js';
import { compileTextRules } from './compile-text-rules.js';
import { createBatchRouter } from './route-batch.js';
import { decodeRouteResults, encodeRouteTask } from './route-task-codec.js';
import type { RouteRequest, RouteResult } from './route-types.js';

/** Renders and routes batches of messages, inline or on a pool of worker threads. */
export interface Router {
  /**
   * One result per request, same order. `nowMs` is the time the batch is routed at (epoch ms,
   * from the caller's clock); time rules such as the advertising night window are decided on it.
   */
  route(requests: readonly RouteRequest[], nowMs: number): Promise<RouteResult[]>;
  close(): Promise<void>;
}

/** Creates the router for settings.workers: 0 routes inline, more uses a Piscina pool of that size. */
export function createRouter(settings: RouterSettings, routing: RoutingTable): Router {
  // Checked here on the main thread too, so a bad rule stops the start instead of every worker task.
  compileTextRules(routing.text);
  if (settings.workers === 0) {
    const routeBatch = createBatchRouter(routing);
    return { route: async (requests, nowMs) => routeBatch(requests, nowMs), close: async () => {} };
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
    route: async (requests, nowMs) => {
      return decodeRouteResults((await pool.run(encodeRouteTask(nowMs, requests))) as string);
    },
    // Waits for the tasks in flight (a reload closes the old pool while batches may still be routed on it).
    close: () => pool.close(),
  };
}
