// An SMS supplier's ChannelProvider server, written with the Switchboard provider SDK.
// Run it:   node dist/examples/provider/sms-provider.js --port 50061
// Check it: switchboard provider-check --target 127.0.0.1:50061
// The SDK answers duplicates, rejects expired messages, applies back-pressure and keeps reports
// until the gateway acks them; this file only decides what to accept and reports outcomes.
import { parseArgs } from 'node:util';
import { accept, Channel, createProviderServer, DeliveryState, isE164, reject, type ProviderMessage } from '../../src/channels/provider-sdk.js';

const MAX_BODY_BYTES = 2000;
const { values } = parseArgs({ options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '50061' } } });

/** Stands in for the carrier network: replace it with the call to yours. Calls back with the handset's outcome. */
function sendToNetwork(message: ProviderMessage, onOutcome: (delivered: boolean) => void): void {
  setTimeout(() => onOutcome(!message.recipient.endsWith('0001')), 20);
}

let nextRef = 0;
const server = createProviderServer({
  capabilities: { channels: [Channel.CHANNEL_SMS, Channel.CHANNEL_LMS], maxTps: 0, maxBodyBytes: MAX_BODY_BYTES, maxInFlight: 500 },
  async submit(messages) {
    return messages.map((message) => {
      if (!isE164(message.recipient)) return reject('INVALID_NUMBER', `${message.recipient} is not an E.164 number`, false);
      if (Buffer.byteLength(message.body) > MAX_BODY_BYTES) return reject('BODY_TOO_LONG', `body is over ${MAX_BODY_BYTES} bytes`, false);
      // Unique across restarts, since the gateway matches reports by it.
      const providerRef = `acme-${Date.now().toString(36)}-${++nextRef}`;
      sendToNetwork(message, (delivered) =>
        server.report({
          delivery: delivered
            ? { messageId: message.messageId, providerRef, state: DeliveryState.DELIVERY_STATE_DELIVERED }
            : { messageId: message.messageId, providerRef, state: DeliveryState.DELIVERY_STATE_FAILED, code: 'UNREACHABLE', description: 'handset unreachable' },
        }),
      );
      return accept(providerRef);
    });
  },
});

const port = await server.listen(values.host, Number(values.port));
console.log(`example provider listening on ${values.host}:${port}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
