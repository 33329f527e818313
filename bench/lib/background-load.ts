// A load that runs on its own worker thread (background-load-worker.ts), for scenarios that
// measure one client while another loads the gateway (urgent-under-bulk, urgent-lane). In one
// event loop the bulk sender's frame encoding and GC would delay the measured client's timers and
// answers, and that delay would be counted against the gateway; in production the two senders are
// different systems.
import { Worker } from 'node:worker_threads';
import type { LoadOptions } from '../../src/loadgen/load-generator.js';

/** The options a worker can take: no callbacks or signal, since they cannot cross threads. */
export type BackgroundLoadOptions = Omit<LoadOptions, 'onAcks' | 'onSample' | 'signal'>;

/** What the background load reports when it ends. */
export interface BackgroundLoadResult {
  acceptedPerSec: number;
  ackP99Ms: number;
  errors: number;
  errorMessages: string[];
}

/**
 * Runs `options` on a new worker thread; resolves with its figures once the worker has exited.
 * Callers await it after measuring something else, so an early failure (it cannot connect) is
 * held for that await instead of ending the process as an unhandled rejection.
 */
export function runBackgroundLoad(options: BackgroundLoadOptions): Promise<BackgroundLoadResult> {
  const worker = new Worker(new URL('./background-load-worker.js', import.meta.url), { workerData: options });
  const done = new Promise<BackgroundLoadResult>((resolve, reject) => {
    let result: BackgroundLoadResult | undefined;
    worker.once('message', (message: BackgroundLoadResult) => (result = message));
    // The load's own error (e.g. it cannot connect), as thrown in the worker.
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`the background load's worker exited with code ${code} before reporting`));
    });
  });
  done.catch(() => {});
  return done;
}
