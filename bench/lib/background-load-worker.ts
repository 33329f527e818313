// Worker-thread side of runBackgroundLoad (background-load.ts): runs one load, posts its figures, exits.
import { parentPort, workerData } from 'node:worker_threads';
import { runLoad } from '../../src/loadgen/load-generator.js';
import type { BackgroundLoadOptions, BackgroundLoadResult } from './background-load.js';

const result = await runLoad(workerData as BackgroundLoadOptions);
parentPort!.postMessage({
  acceptedPerSec: result.acceptedPerSec,
  ackP99Ms: result.ack.percentileMs(99),
  errors: result.errors,
  errorMessages: result.errorMessages,
} satisfies BackgroundLoadResult);
