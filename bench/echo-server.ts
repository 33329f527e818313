// Baseline: a bare grpc-js MessageGateway that answers every SendBatch with an AckBatch of the
// same size (and every Send at once), with no validation, store or routing. The gateway's
// throughput is read as a ratio to this ceiling, measured with the same client in the same run.
import { Server, ServerCredentials, type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { MessageGatewayService, type Ack, type AckBatch, type SendBatch, type SendRequest, type SendResponse } from '../src/gen/switchboard/v1/gateway.js';

let counter = 0;
const server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
server.addService(MessageGatewayService, {
  sendStream: (call: ServerDuplexStream<SendBatch, AckBatch>) => {
    call.on('data', (batch: SendBatch) => {
      const acks: Ack[] = new Array(batch.messages.length);
      for (let i = 0; i < batch.messages.length; i++) {
        acks[i] = { index: i, clientRef: batch.messages[i]!.clientRef, messageId: `echo-${++counter}`, accepted: true, duplicate: false, reason: 0, detail: '' };
      }
      call.write({ batchId: batch.batchId, acks });
    });
    call.on('end', () => call.end());
    call.on('error', () => {});
  },
  send: (call: ServerUnaryCall<SendRequest, SendResponse>, callback: sendUnaryData<SendResponse>) => {
    callback(null, { messageId: `echo-${++counter}${call.request.message?.clientRef ?? ''}`, duplicate: false });
  },
  getStatus: (_call: unknown, callback: sendUnaryData<never>) => callback({ code: 12, details: 'the echo baseline only answers Send and SendStream' }),
  watchReports: (call: { end(): void }) => call.end(),
});
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`echo listening on 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.forceShutdown());
