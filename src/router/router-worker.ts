// Piscina worker entry: routes batches off the main thread. The routing table arrives once, as
// workerData, and its compiled templates stay cached here; each task is one batch, handed over
// as a JSON string (one copy of one string instead of a structured clone of many objects).
import { workerData } from 'node:worker_threads';
import type { RoutingTable } from '../config/config.js';
import { createBatchRouter } from './route-batch.js';
import type { RouteRequest } from './route-types.js';

const routeBatch = createBatchRouter((workerData as { routing: RoutingTable }).routing);

export default function routeTask(payload: string): string {
  return JSON.stringify(routeBatch(JSON.parse(payload) as RouteRequest[]));
}
