// A simulated SMS supplier inside the bench process that accepts everything at once, reports
// delivery at once, and counts what it receives; `onReceive` lets a scenario time each message.
import { createProviderServer, type SubmitOutcome } from '../../src/channels/provider-sdk.js';
import { Channel, DeliveryState } from '../../src/gen/switchboard/provider/v1/provider.js';

export interface CountingProvider {
  readonly address: string;
  /** Messages received on Submit, duplicates included. */
  received(): number;
  /** Set by a scenario to see each message id as it arrives (performance.now() ms). */
  onReceive: ((messageId: string, atMs: number) => void) | undefined;
  close(): Promise<void>;
}

export async function startCountingProvider(id: string): Promise<CountingProvider> {
  let refCounter = 0;
  const refPrefix = `${id}-${Date.now().toString(36)}`;
  const provider: CountingProvider = {
    address: '',
    received: () => server.stats().received,
    onReceive: undefined,
    close: () => server.close(1000),
  };
  const server = createProviderServer(
    {
      capabilities: { channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS], maxTps: 0, maxBodyBytes: 0, maxInFlight: 0 },
      onReceive: (message) => provider.onReceive?.(message.messageId, performance.now()),
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
  const port = await server.listen('127.0.0.1', 0);
  return Object.assign(provider, { address: `127.0.0.1:${port}` });
}
