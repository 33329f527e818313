import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  MessageGatewayClient,
  MessageState,
  type AckBatch,
  type Message,
  type MessageStatus,
  type Report,
  type SendBatch,
  type SendResponse,
} from '../../src/gen/switchboard/v1/gateway.js';

/** A gateway client plus promisified calls, authenticated with one tenant's API key. */
export class GatewayTestClient {
  readonly client: MessageGatewayClient;
  readonly metadata = new Metadata();

  constructor(address: string, apiKey: string | null) {
    this.client = new MessageGatewayClient(address, credentials.createInsecure());
    if (apiKey !== null) this.metadata.set('x-api-key', apiKey);
  }

  send(message: Partial<Message>): Promise<SendResponse> {
    return new Promise((resolve, reject) => {
      this.client.send({ message: makeMessage(message) }, this.metadata, (error: ServiceError | null, response) => (error ? reject(error) : resolve(response)));
    });
  }

  getStatus(messageId: string): Promise<MessageStatus> {
    return new Promise((resolve, reject) => {
      this.client.getStatus({ messageId }, this.metadata, (error: ServiceError | null, response) => (error ? reject(error) : resolve(response)));
    });
  }

  /** Streams the frames one after another, keeping up to `inFlight` unanswered, and returns every AckBatch. */
  async sendStream(frames: SendBatch[], inFlight = 8): Promise<AckBatch[]> {
    const call = this.client.sendStream(this.metadata);
    const answers: AckBatch[] = [];
    let next = 0;
    return new Promise((resolve, reject) => {
      const writeMore = (): void => {
        while (next < frames.length && next - answers.length < inFlight) call.write(frames[next++] as SendBatch);
        if (next === frames.length) call.end();
      };
      call.on('data', (batch: AckBatch) => {
        answers.push(batch);
        if (next < frames.length) writeMore();
      });
      call.on('error', reject);
      call.on('end', () => resolve(answers));
      writeMore();
    });
  }

  /**
   * Like sendStream, but resolves with the answers received so far and the status error that
   * ended the stream (null when it ended OK), for tests of frames the server refuses.
   */
  async sendStreamSettled(frames: SendBatch[], inFlight = 8): Promise<{ answers: AckBatch[]; error: ServiceError | null }> {
    const call = this.client.sendStream(this.metadata);
    const answers: AckBatch[] = [];
    let next = 0;
    return new Promise((resolve) => {
      const writeMore = (): void => {
        while (next < frames.length && next - answers.length < inFlight) call.write(frames[next++] as SendBatch);
        if (next === frames.length) call.end();
      };
      call.on('data', (batch: AckBatch) => {
        answers.push(batch);
        if (next < frames.length) writeMore();
      });
      call.on('error', (error: ServiceError) => resolve({ answers, error }));
      call.on('end', () => resolve({ answers, error: null }));
      writeMore();
    });
  }

  /** Collects WatchReports reports until `until` says stop (or the stream ends). */
  watchReports(cursor: string, fromOldest: boolean, until: (reports: Report[]) => boolean): Promise<Report[]> {
    const call = this.client.watchReports({ cursor, fromOldest }, this.metadata);
    const reports: Report[] = [];
    return new Promise((resolve, reject) => {
      call.on('data', (report: Report) => {
        reports.push(report);
        if (until(reports)) {
          call.cancel();
          resolve(reports);
        }
      });
      call.on('error', (error: ServiceError) => (error.code === 1 ? resolve(reports) : reject(error)));
      call.on('end', () => resolve(reports));
    });
  }

  close(): void {
    this.client.close();
  }
}

/** A complete wire message with defaults: a valid recipient and the "welcome" template. */
export function makeMessage(fields: Partial<Message>): Message {
  return {
    clientRef: '',
    recipient: '010-1234-5678',
    sender: '',
    templateId: fields.content === undefined ? 'welcome' : '',
    variables: fields.content === undefined && fields.templateId === undefined ? { name: 'Kim' } : {},
    content: undefined,
    kind: 0,
    priority: 0,
    channel: 0,
    ttlMs: 0,
    tags: [],
    nightConsent: false,
    ...fields,
  };
}

export function stateName(state: MessageState): string {
  return MessageState[state].replace('MESSAGE_STATE_', '');
}
