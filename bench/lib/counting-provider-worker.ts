// Worker-thread side of the counting provider (see counting-provider.ts): a simulated SMS
// supplier on its own event loop, so the load generator in the main thread does not delay it.
import { parentPort, workerData } from 'node:worker_threads';
import { createProviderServer, type SubmitOutcome } from '../../src/channels/provider-sdk.js';
import { Channel, DeliveryState } from '../../src/gen/switchboard/provider/v1/provider.js';

/** Messages from the main thread. */
export type ToWorker = { track: boolean } | { close: true };
/** Messages to the main thread: the bound address once, then arrivals (id, epoch ms) while tracking. */
export type FromWorker = { address: string } | { arrivals: [string, number][] } | { stopped: true } | { closed: true };

const { id, counter } = workerData as { id: string; counter: SharedArrayBuffer };
const received = new Int32Array(counter);
const port = parentPort!;
let refCounter = 0;
let tracking = false;
let arrivals: [string, number][] = [];
let flushScheduled = false;
const refPrefix = `${id}-${Date.now().toString(36)}`;

const flush = (): void => {
  flushScheduled = false;
  if (arrivals.length === 0) return;
  port.postMessage({ arrivals } satisfies FromWorker);
  arrivals = [];
};

const server = createProviderServer(
  {
    capabilities: { channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS], maxTps: 0, maxBodyBytes: 0, maxInFlight: 0 },
    onReceive: (message) => {
      Atomics.add(received, 0, 1);
      if (!tracking) return;
      arrivals.push([message.messageId, performance.timeOrigin + performance.now()]);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    },
    submit: async (messages) => {
      const outcomes: SubmitOutcome[] = new Array(messages.length);
      const now = Date.now();
      for (let i = 0; i < messages.length; i++) {
        const providerRef = `${refPrefix}-${++refCounter}`;
        outcomes[i] = { accepted: { providerRef } };
        server.report({ delivery: { messageId: messages[i]!.messageId, providerRef, state: DeliveryState.DELIVERY_STATE_DELIVERED, code: '', description: 'delivered', doneAtMs: now } });
      }
      return outcomes;
    },
  },
  { reportIdPrefix: refPrefix },
);

port.on('message', (message: ToWorker) => {
  if ('track' in message) {
    flush();
    tracking = message.track;
    // Tells the main thread that every arrival recorded so far has been posted before this.
    if (!tracking) port.postMessage({ stopped: true } satisfies FromWorker);
  } else {
    flush();
    void server.close(1000).then(() => {
      port.postMessage({ closed: true } satisfies FromWorker);
      port.close();
    });
  }
});

const bound = await server.listen('127.0.0.1', 0);
port.postMessage({ address: `127.0.0.1:${bound}` } satisfies FromWorker);
