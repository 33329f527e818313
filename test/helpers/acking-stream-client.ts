// A SendStream client run as its own process, for tests that kill a client (RELIABILITY C4):
//   node dist/test/helpers/acking-stream-client.js TARGET API_KEY
// Sends frames of 50 messages with up to 4 frames unanswered, for ever, and prints one line
// "acked <messageId>" per accepted message as its ack arrives, so the test knows what the
// gateway promised before the process died.
import { credentials, Metadata } from '@grpc/grpc-js';
import { MessageGatewayClient, type AckBatch } from '../../src/gen/switchboard/v1/gateway.js';
import { makeMessage } from './gateway-calls.js';

const [target, apiKey] = process.argv.slice(2);
if (target === undefined || apiKey === undefined) {
  process.stderr.write('usage: acking-stream-client TARGET API_KEY\n');
  process.exit(2);
}
const FRAME = 50;
const WINDOW = 4;
const client = new MessageGatewayClient(target, credentials.createInsecure());
const metadata = new Metadata();
metadata.set('x-api-key', apiKey);
const call = client.sendStream(metadata);
let batchId = 0;
let unanswered = 0;
const sendMore = (): void => {
  while (unanswered < WINDOW) {
    batchId++;
    unanswered++;
    call.write({ batchId, messages: Array.from({ length: FRAME }, (_, i) => makeMessage({ clientRef: `c4-${batchId}-${i}` })) });
  }
};
call.on('data', (answer: AckBatch) => {
  unanswered--;
  const lines = answer.acks.filter((a) => a.accepted).map((a) => `acked ${a.messageId}\n`);
  process.stdout.write(lines.join(''));
  sendMore();
});
call.on('error', (error: Error) => {
  process.stderr.write(`stream ended: ${error.message}\n`);
  process.exit(1);
});
sendMore();
