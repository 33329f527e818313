// A simulated SMS supplier that accepts everything at once, reports delivery at once and counts
// what it receives. It runs on a worker thread (counting-provider-worker.ts) so the load
// generator's event loop cannot hold it up; the count is shared memory, read without messages.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './counting-provider-worker.js';

export interface CountingProvider {
  readonly address: string;
  /** Messages received on Submit, duplicates included. */
  received(): number;
  /**
   * Calls `callback` with each message id and its arrival time (on this thread's performance.now()
   * clock), a little after the arrival.
   */
  startTracking(callback: (messageId: string, atMs: number) => void): void;
  /** Resolves once every arrival recorded until now has been passed to the callback. */
  stopTracking(): Promise<void>;
  close(): Promise<void>;
}

export async function startCountingProvider(id: string): Promise<CountingProvider> {
  const counter = new SharedArrayBuffer(4);
  const received = new Int32Array(counter);
  const worker = new Worker(new URL('./counting-provider-worker.js', import.meta.url), { workerData: { id, counter } });
  let onArrival: ((messageId: string, atMs: number) => void) | undefined;
  let onStopped: (() => void) | undefined;
  const address = await new Promise<string>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (message: FromWorker) => {
      if ('address' in message) resolve(message.address);
      else if ('stopped' in message) {
        onArrival = undefined;
        onStopped?.();
      }
      else if ('arrivals' in message && onArrival !== undefined) {
        // The worker stamps epoch-based high-resolution time; bring it onto this thread's clock.
        for (const [messageId, atEpochMs] of message.arrivals) onArrival(messageId, atEpochMs - performance.timeOrigin);
      }
    });
  });
  const send = (message: ToWorker): void => worker.postMessage(message);
  return {
    address,
    received: () => Atomics.load(received, 0),
    startTracking: (callback) => {
      onArrival = callback;
      send({ track: true });
    },
    stopTracking: () =>
      new Promise<void>((resolve) => {
        onStopped = resolve;
        send({ track: false });
      }),
    close: async () => {
      const exited = once(worker, 'exit');
      send({ close: true });
      const timer = setTimeout(() => void worker.terminate(), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
