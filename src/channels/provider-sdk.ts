import { randomBytes } from 'node:crypto';
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { createFrameWriter, type FrameWriter } from './frame-writer.js';
import {
  ChannelProviderService,
  type Capabilities,
  type ChannelProviderServer,
  type DeliveryReport,
  type InboundMessage,
  type ProviderMessage,
  type ProviderReport,
  type ReportAck,
  type ReportBatch,
  type SubmitRequest,
  type SubmitResponse,
  type SubmitResult,
} from '../gen/switchboard/provider/v1/provider.js';

/**
 * A supplier's answer to one message: it took it (and will report on it under
 * `providerRef`), or it refuses it and says whether a retry can help.
 */
export type SubmitOutcome =
  | { readonly accepted: { readonly providerRef: string } }
  | { readonly rejected: { readonly code: string; readonly reason: string; readonly retryable: boolean } };

/** What a supplier writes; the SDK does the protocol around it. */
export interface ProviderHandler {
  /** Answered on GetCapabilities as is. */
  readonly capabilities: Capabilities;
  /**
   * Delivers the new (never accepted before) messages of one Submit frame. Resolves to
   * one outcome per message, in the same order. A rejection, or a wrong number of
   * outcomes, answers every message of the batch as rejected `PROVIDER_ERROR`, retryable.
   */
  submit(messages: ProviderMessage[]): Promise<SubmitOutcome[]>;
  /**
   * Called synchronously for every message received on Submit, duplicates included,
   * before `submit` sees it (for ledgers). Must not throw; a throw goes to `onError`.
   */
  onReceive?(message: ProviderMessage, duplicate: boolean): void;
}

/** Tuning for {@link createProviderServer}; every field has a default. */
export interface ProviderServerOptions {
  /** How many accepted message ids are remembered for duplicate detection; oldest forgotten first. Default 1_000_000. */
  rememberMessageIds?: number | undefined;
  /** Most reports kept waiting for a Reports stream; past that the oldest is dropped and counted. Default 1_000_000. */
  maxPendingReports?: number | undefined;
  /** Most reports written on one Reports stream and not yet acked; a stream at the limit gets no more. Default 50_000. */
  maxUnackedPerStream?: number | undefined;
  /** Most reports in one ReportBatch frame. Default 500. */
  maxReportsPerFrame?: number | undefined;
  /**
   * Prefix of report ids (`${prefix}-${counter}`). Default: random per server, so ids
   * stay unique across restarts (the gateway drops a report whose id it has stored).
   */
  reportIdPrefix?: string | undefined;
  /** grpc-js server options passed as is, e.g. `grpc.max_connection_age_ms` to make clients rotate connections. Default none. */
  grpcOptions?: Record<string, number | string> | undefined;
  /** Receives unexpected errors: handler rejections, hook throws, non-cancel stream errors. Default: ignored. */
  onError?: ((error: unknown) => void) | undefined;
}

/** Something to report to connected gateways. */
export type ProviderEvent = { readonly delivery: DeliveryReport } | { readonly inbound: InboundMessage };

/** Counters of a {@link ProviderServer}, since it was created. */
export interface ProviderServerStats {
  /** Messages received on Submit, duplicates included. */
  received: number;
  /** Messages answered from the record of earlier (or in-flight) ones, without calling the handler. */
  duplicates: number;
  /** Messages the handler accepted. */
  accepted: number;
  /** Messages the handler rejected, or that failed with it (PROVIDER_ERROR). */
  rejected: number;
  /** Reports waiting for a Reports stream. */
  reportsPending: number;
  /** Reports written on a stream and not acked yet. */
  reportsUnacked: number;
  /** Reports acked by a gateway. */
  reportsAcked: number;
  /** Reports dropped because more than `maxPendingReports` were waiting. */
  reportsDropped: number;
}

/** A ChannelProvider gRPC server built by {@link createProviderServer}. */
export interface ProviderServer {
  /** Binds and serves; resolves to the bound port (useful with port 0). */
  listen(host?: string, port?: number): Promise<number>;
  /** Queues a report for the gateways and returns its report id; kept until a gateway acks it. */
  report(event: ProviderEvent): string;
  /** Current counters. */
  stats(): ProviderServerStats;
  /** Ends streams once their batches are answered, then shuts down; forces it after `graceMs` (default 5000). */
  close(graceMs?: number): Promise<void>;
  /** Drops every connection at once, like a crash. */
  forceClose(): void;
}

const PROVIDER_ERROR = 'PROVIDER_ERROR';

/** One handled batch of new messages; duplicates of its ids wait on `done`. */
interface Batch {
  readonly ids: string[];
  outcomes: readonly SubmitOutcome[] | undefined;
  done: Promise<void> | undefined;
}

/** A duplicate in a frame, answered once the batch that owns its message id is. */
interface Wait {
  readonly index: number;
  readonly owner: Batch;
}

/** One connected Reports stream and the reports it has not seen acked. */
interface ReportStream {
  readonly writer: FrameWriter<ReportBatch>;
  readonly unacked: Map<string, ProviderReport>;
  /** Leaves the rotation, puts unacked reports back to pending and ends the call. Idempotent. */
  detach(): void;
}

/**
 * Creates a ChannelProvider server around `handler`. The SDK owns the protocol:
 * duplicate message ids, one SubmitResponse per batch, back-pressure, report
 * retention until acked, and resending across reconnects.
 */
export function createProviderServer(handler: ProviderHandler, options: ProviderServerOptions = {}): ProviderServer {
  const rememberMessageIds = options.rememberMessageIds ?? 1_000_000;
  const maxPendingReports = options.maxPendingReports ?? 1_000_000;
  const maxUnackedPerStream = options.maxUnackedPerStream ?? 50_000;
  const maxReportsPerFrame = options.maxReportsPerFrame ?? 500;
  const reportIdPrefix = options.reportIdPrefix ?? randomBytes(4).toString('hex');
  const onError = options.onError ?? (() => {});

  const server = new Server(options.grpcOptions ?? {});
  const counters = { received: 0, duplicates: 0, accepted: 0, rejected: 0, reportsAcked: 0, reportsDropped: 0 };
  // Insertion-ordered, so the first key is the oldest: that makes the bound O(1).
  const acceptedRefs = new Map<string, string>();
  const inFlight = new Map<string, Batch>();
  const submitCalls = new Set<{ close(): void }>();
  const pendingReports = new Map<string, ProviderReport>();
  const reportStreams: ReportStream[] = [];
  let nextStream = 0;
  let reportCounter = 0;
  let flushScheduled = false;
  let closing = false;
  let closed: Promise<void> | undefined;

  const rememberAccepted = (messageId: string, providerRef: string): void => {
    acceptedRefs.set(messageId, providerRef);
    if (acceptedRefs.size > rememberMessageIds) acceptedRefs.delete(acceptedRefs.keys().next().value as string);
  };

  const runBatch = async (batch: Batch, messages: ProviderMessage[]): Promise<void> => {
    let outcomes: SubmitOutcome[];
    try {
      outcomes = await handler.submit(messages);
      if (!Array.isArray(outcomes) || outcomes.length !== messages.length) {
        throw new Error(`handler.submit returned ${String(outcomes?.length)} outcomes for ${messages.length} messages`);
      }
    } catch (error) {
      onError(error);
      const reason = `provider failed: ${error instanceof Error ? error.message : String(error)}`;
      outcomes = messages.map(() => ({ rejected: { code: PROVIDER_ERROR, reason, retryable: true } }));
    }
    for (let i = 0; i < messages.length; i++) {
      const outcome = outcomes[i] as SubmitOutcome;
      const id = (messages[i] as ProviderMessage).messageId;
      if ('accepted' in outcome) {
        counters.accepted++;
        rememberAccepted(id, outcome.accepted.providerRef);
      } else {
        counters.rejected++;
      }
      inFlight.delete(id);
    }
    batch.outcomes = outcomes;
  };

  const handleSubmit = (call: ServerDuplexStream<SubmitRequest, SubmitResponse>): void => {
    let outstanding = 0;
    let ending = false;
    // Not reading while answers cannot be written lets HTTP/2 flow control slow the gateway.
    const writer = createFrameWriter(
      call,
      () => call.pause(),
      () => {
        if (!ending) call.resume();
      },
    );
    // Called on the gateway's half-close and on close(): stop reading, answer what was read, then end.
    const end = (): void => {
      ending = true;
      call.pause();
      if (outstanding === 0) writer.end();
    };
    const handle = { close: end };
    submitCalls.add(handle);
    call.on('error', (error: Error & { code?: unknown }) => {
      if (error.code !== 'ERR_STREAM_DESTROYED') onError(error);
    });
    call.on('close', () => submitCalls.delete(handle));
    call.on('end', end);

    const answerFrame = async (results: SubmitResult[], batch: Batch | undefined, freshIndex: number[], waits: Wait[]): Promise<void> => {
      if (batch !== undefined) {
        await batch.done;
        for (let i = 0; i < freshIndex.length; i++) {
          results[freshIndex[i] as number] = toResult(batch.ids[i] as string, batch.outcomes?.[i] as SubmitOutcome);
        }
      }
      for (const { index, owner } of waits) {
        await owner.done;
        const id = (results[index] as SubmitResult).messageId;
        results[index] = toResult(id, owner.outcomes?.[owner.ids.indexOf(id)] as SubmitOutcome);
      }
      writer.write({ results });
    };

    call.on('data', (request: SubmitRequest) => {
      const messages = request.messages;
      if (messages.length === 0) return;
      const results = new Array<SubmitResult>(messages.length);
      const fresh: ProviderMessage[] = [];
      const freshIndex: number[] = [];
      const waits: Wait[] = [];
      let batch: Batch | undefined;
      for (let i = 0; i < messages.length; i++) {
        const message = messages[i] as ProviderMessage;
        const id = message.messageId;
        counters.received++;
        const ref = acceptedRefs.get(id);
        // A message still being handled (in this frame, or on another stream) is a duplicate
        // too: it waits for that answer instead of reaching the handler twice.
        const owner = ref === undefined ? inFlight.get(id) : undefined;
        const duplicate = ref !== undefined || owner !== undefined;
        if (ref !== undefined) {
          results[i] = toResult(id, { accepted: { providerRef: ref } });
        } else if (owner !== undefined) {
          results[i] = { messageId: id, outcome: undefined };
          waits.push({ index: i, owner });
        } else {
          batch ??= { ids: [], outcomes: undefined, done: undefined };
          batch.ids.push(id);
          fresh.push(message);
          freshIndex.push(i);
          inFlight.set(id, batch);
        }
        if (duplicate) counters.duplicates++;
        if (handler.onReceive !== undefined) {
          try {
            handler.onReceive(message, duplicate);
          } catch (error) {
            onError(error);
          }
        }
      }
      if (batch !== undefined) batch.done = runBatch(batch, fresh);
      outstanding++;
      answerFrame(results, batch, freshIndex, waits)
        .catch(onError)
        .finally(() => {
          outstanding--;
          if (ending) end();
        });
    });
    if (closing) end();
  };

  const requeue = (report: ProviderReport): void => {
    pendingReports.set(report.reportId, report);
    if (pendingReports.size > maxPendingReports) {
      pendingReports.delete(pendingReports.keys().next().value as string);
      counters.reportsDropped++;
    }
  };

  const flushReports = (): void => {
    flushScheduled = false;
    let idle = 0;
    // Round-robin, one frame per stream per turn, until nothing is pending or every stream is full.
    while (pendingReports.size > 0 && reportStreams.length > 0 && idle < reportStreams.length) {
      nextStream = nextStream % reportStreams.length;
      const stream = reportStreams[nextStream] as ReportStream;
      nextStream++;
      const room = Math.min(maxReportsPerFrame, maxUnackedPerStream - stream.unacked.size);
      if (stream.writer.blocked || room <= 0) {
        idle++;
        continue;
      }
      idle = 0;
      const reports: ProviderReport[] = [];
      for (const [id, report] of pendingReports) {
        if (reports.length >= room) break;
        pendingReports.delete(id);
        stream.unacked.set(id, report);
        reports.push(report);
      }
      stream.writer.write({ reports });
    }
  };

  const scheduleFlush = (): void => {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(flushReports);
  };

  const handleReports = (call: ServerDuplexStream<ReportAck, ReportBatch>): void => {
    // Acks keep being read while blocked: they are what frees room on this stream.
    const writer = createFrameWriter(call, () => {}, scheduleFlush);
    const unacked = new Map<string, ProviderReport>();
    let open = true;
    const detach = (): void => {
      if (!open) return;
      open = false;
      const at = reportStreams.indexOf(stream);
      if (at >= 0) reportStreams.splice(at, 1);
      // Reports this gateway has not acked go back to pending, for the next or another stream.
      for (const report of unacked.values()) requeue(report);
      unacked.clear();
      writer.end();
      scheduleFlush();
    };
    const stream: ReportStream = { writer, unacked, detach };
    call.on('error', (error: Error & { code?: unknown }) => {
      if (error.code !== 'ERR_STREAM_DESTROYED') onError(error);
      detach();
    });
    call.on('cancelled', detach);
    call.on('close', detach);
    call.on('end', detach);
    call.on('data', (ack: ReportAck) => {
      for (const id of ack.reportIds) {
        // Usually acked on the stream that carried it; a late ack may name a report since requeued.
        if (unacked.delete(id) || pendingReports.delete(id) || reportStreams.some((s) => s.unacked.delete(id))) {
          counters.reportsAcked++;
        }
      }
      scheduleFlush();
    });
    if (closing) {
      detach();
      return;
    }
    reportStreams.push(stream);
    scheduleFlush();
  };

  const implementation: ChannelProviderServer = {
    submit: handleSubmit,
    reports: handleReports,
    getCapabilities: (_call, callback) => callback(null, handler.capabilities),
  };
  server.addService(ChannelProviderService, implementation);

  const endAllStreams = (): void => {
    closing = true;
    for (const call of [...submitCalls]) call.close();
    for (const stream of [...reportStreams]) stream.detach();
  };

  return {
    listen: (host = '127.0.0.1', port = 0) =>
      new Promise<number>((resolve, reject) => {
        const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
        server.bindAsync(target, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
      }),
    report: (event) => {
      const reportId = `${reportIdPrefix}-${++reportCounter}`;
      requeue(
        'delivery' in event
          ? { reportId, event: { $case: 'delivery', value: event.delivery } }
          : { reportId, event: { $case: 'inbound', value: event.inbound } },
      );
      scheduleFlush();
      return reportId;
    },
    stats: () => {
      let reportsUnacked = 0;
      for (const stream of reportStreams) reportsUnacked += stream.unacked.size;
      return { ...counters, reportsPending: pendingReports.size, reportsUnacked };
    },
    close: (graceMs = 5000) =>
      (closed ??= new Promise<void>((resolve) => {
        endAllStreams();
        // tryShutdown waits for every call to finish; a stuck handler must not hold close() forever.
        const timer = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      })),
    forceClose: () => {
      closing = true;
      server.forceShutdown();
    },
  };
}

function toResult(messageId: string, outcome: SubmitOutcome): SubmitResult {
  return 'accepted' in outcome
    ? { messageId, outcome: { $case: 'accepted', value: { providerRef: outcome.accepted.providerRef } } }
    : { messageId, outcome: { $case: 'rejected', value: { ...outcome.rejected } } };
}
