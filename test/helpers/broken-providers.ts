import { Server, ServerCredentials, status, type ServerDuplexStream } from '@grpc/grpc-js';
import type { TestContext } from 'node:test';
import {
  accept,
  createProviderServer,
  DeliveryState,
  isE164,
  reject,
  type ProviderHandler,
  type ProviderServerOptions,
  type SubmitOutcome,
} from '../../src/channels/provider-sdk.js';
import {
  Channel,
  ChannelProviderService,
  type Capabilities,
  type ChannelProviderServer,
  type ProviderReport,
  type ReportAck,
  type ReportBatch,
  type SubmitRequest,
  type SubmitResponse,
  type SubmitResult,
} from '../../src/gen/switchboard/provider/v1/provider.js';

// Deliberately broken ChannelProvider servers for the provider-check tests: each gets one thing
// wrong, so the test can show the battery names exactly that.

const CAPABILITIES: Capabilities = { channels: [Channel.CHANNEL_SMS], maxTps: 0, maxBodyBytes: 0, maxInFlight: 0 };

/** What a raw provider gets wrong; with none set it is a correct provider. */
export interface RawProviderFaults {
  /** GetCapabilities answers UNIMPLEMENTED. */
  noCapabilities?: boolean;
  /** Every message is answered twice. */
  answerTwice?: boolean;
  /** A report written on a stream counts as delivered: it is never written again, acked or not. */
  forgetUnacked?: boolean;
  /** Accepts messages past their expires_at_ms. */
  ignoreExpiry?: boolean;
  /** Answers a repeated message_id with the same ref, but delivers (and reports) it again. */
  redeliverDuplicates?: boolean;
  /** Reports carry the right provider_ref but a message_id with "-x" appended. */
  misnameReports?: boolean;
}

/**
 * A ChannelProvider on the raw grpc-js server, for faults the SDK makes impossible. Accepts E.164
 * recipients (same ref for a repeated id), rejects others INVALID_NUMBER, reports every accepted
 * message DELIVERED and keeps reports until acked. Returns its address; closed in t.after.
 */
export async function startRawProvider(t: TestContext, faults: RawProviderFaults = {}): Promise<string> {
  const refs = new Map<string, string>();
  const pending = new Map<string, ProviderReport>();
  const streams = new Set<{ call: ServerDuplexStream<ReportAck, ReportBatch>; unacked: Map<string, ProviderReport> }>();
  let counter = 0;

  const flush = (): void => {
    const [stream] = streams;
    if (stream === undefined || pending.size === 0) return;
    const reports = [...pending.values()];
    pending.clear();
    if (!faults.forgetUnacked) for (const r of reports) stream.unacked.set(r.reportId, r);
    stream.call.write({ reports });
  };

  let reportCounter = 0;
  const queueReport = (messageId: string, providerRef: string): void => {
    const reportId = `raw-report-${++reportCounter}`;
    const named = faults.misnameReports ? `${messageId}-x` : messageId;
    pending.set(reportId, {
      reportId,
      event: { $case: 'delivery', value: { messageId: named, providerRef, state: DeliveryState.DELIVERY_STATE_DELIVERED, code: '', description: '', doneAtMs: Date.now() } },
    });
  };

  const answer = (messageId: string, recipient: string, expiresAtMs: number): SubmitResult => {
    const known = refs.get(messageId);
    if (known !== undefined) {
      if (faults.redeliverDuplicates) queueReport(messageId, known);
      return { messageId, outcome: { $case: 'accepted', value: { providerRef: known } } };
    }
    if (!isE164(recipient)) return { messageId, outcome: { $case: 'rejected', value: { code: 'INVALID_NUMBER', reason: 'not E.164', retryable: false } } };
    if (!faults.ignoreExpiry && expiresAtMs > 0 && expiresAtMs <= Date.now()) {
      return { messageId, outcome: { $case: 'rejected', value: { code: 'EXPIRED', reason: 'too late', retryable: false } } };
    }
    const providerRef = `raw-${++counter}`;
    refs.set(messageId, providerRef);
    queueReport(messageId, providerRef);
    return { messageId, outcome: { $case: 'accepted', value: { providerRef } } };
  };

  const implementation: ChannelProviderServer = {
    getCapabilities: (_call, callback) =>
      faults.noCapabilities ? callback({ code: status.UNIMPLEMENTED, details: 'capabilities are not implemented' }, null) : callback(null, CAPABILITIES),
    submit: (call: ServerDuplexStream<SubmitRequest, SubmitResponse>) => {
      call.on('data', (request: SubmitRequest) => {
        const results = request.messages.map((m) => answer(m.messageId, m.recipient, m.expiresAtMs));
        call.write({ results });
        if (faults.answerTwice) call.write({ results });
        flush();
      });
      call.on('end', () => call.end());
      call.on('error', () => {});
    },
    reports: (call: ServerDuplexStream<ReportAck, ReportBatch>) => {
      const stream = { call, unacked: new Map<string, ProviderReport>() };
      streams.add(stream);
      const leave = (): void => {
        if (!streams.delete(stream)) return;
        for (const report of stream.unacked.values()) pending.set(report.reportId, report);
        call.end();
        flush();
      };
      call.on('data', (ack: ReportAck) => {
        for (const id of ack.reportIds) stream.unacked.delete(id);
      });
      call.on('end', leave);
      call.on('cancelled', leave);
      call.on('error', leave);
      flush();
    },
  };

  const server = new Server();
  server.addService(ChannelProviderService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  t.after(() => server.forceShutdown());
  return `127.0.0.1:${port}`;
}

/** What an SDK-based provider gets wrong; with none set it is a correct provider. */
export interface SdkProviderTwist {
  /** Forgets every message id at once, so a repeated one is handled (and sent) again. */
  forgetMessageIds?: boolean;
  /** Accepts with an empty provider_ref. */
  emptyRefs?: boolean;
  /** Rejects an invalid recipient as retryable. */
  invalidRetryable?: boolean;
  /** Reports only every second accepted message. */
  dropEveryOtherReport?: boolean;
  /** Stops answering (its handler never returns) once this many messages were received. */
  stallAfter?: number;
  /** Stated in capabilities. */
  maxInFlight?: number;
}

/** A ChannelProvider on the SDK with one twist; returns its address; closed in t.after. */
export async function startSdkProvider(t: TestContext, twist: SdkProviderTwist): Promise<string> {
  let received = 0;
  let accepted = 0;
  const handler: ProviderHandler = {
    capabilities: { ...CAPABILITIES, maxInFlight: twist.maxInFlight ?? 0 },
    submit: async (messages) => {
      received += messages.length;
      if (twist.stallAfter !== undefined && received > twist.stallAfter) return new Promise<never>(() => {});
      return messages.map((m): SubmitOutcome => {
        if (!isE164(m.recipient)) return reject('INVALID_NUMBER', `${m.recipient} is not E.164`, twist.invalidRetryable === true);
        const providerRef = twist.emptyRefs ? '' : `sdk-${++accepted}`;
        if (!twist.dropEveryOtherReport || accepted % 2 === 1) {
          setImmediate(() => server.report({ delivery: { messageId: m.messageId, providerRef, state: DeliveryState.DELIVERY_STATE_DELIVERED } }));
        }
        return accept(providerRef);
      });
    },
  };
  const options: ProviderServerOptions = twist.forgetMessageIds ? { rememberMessageIds: 0 } : {};
  const server = createProviderServer(handler, options);
  const port = await server.listen();
  t.after(() => server.close(200));
  return `127.0.0.1:${port}`;
}
