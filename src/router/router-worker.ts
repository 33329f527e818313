// Piscina worker entry: routes batches off the main thread. The routing table arrives once, as
// workerData, and its compiled templates stay cached here; each task is one batch with the time to
// route it at, handed over as one compact string each way (route-task-codec.ts): one copy of one
// string instead of a structured clone of many objects, and cheaper to build than JSON.
import { workerData } from 'node:worker_threads';
import type { RoutingTable } from '../config/config.js';
import { createBatchRouter } from './route-batch.js';
import { decodeRouteTask, encodeRouteResults } from './route-task-codec.js';

const routeBatch = createBatchRouter((workerData as { routing: RoutingTable }).routing);

export default function routeTask(payload: string): string {
  const task = decodeRouteTask(payload);
  return encodeRouteResults(routeBatch(task.requests, task.nowMs));
}
