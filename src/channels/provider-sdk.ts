/**
 * The provider SDK: what a channel supplier needs to run a Switchboard `ChannelProvider` gRPC
 * server (proto/switchboard/provider/v1/provider.proto) in TypeScript. The supplier writes a
 * {@link ProviderHandler} (its capabilities and one `submit` function that hands a batch of
 * messages to its network) and calls `server.report(...)` when a delivery outcome or a reply
 * comes in; {@link createProviderServer} does the protocol around it:
 *
 * - answers every message exactly once, one SubmitResponse per Submit frame;
 * - treats a repeated message_id as a duplicate (same answer and provider_ref, handler not called);
 * - rejects a message past its expires_at_ms with code EXPIRED before the handler sees it;
 * - stops reading a Submit stream while its answers cannot be written (HTTP/2 back-pressure);
 * - keeps each report until a gateway acks it and writes it again on the next Reports stream.
 *
 * What it keeps is in memory: accepted message ids (for duplicates) and reports not yet acked.
 * After a restart, a resent message_id is new to it and unacked reports are gone. A supplier that
 * must survive restarts keeps its own record of accepted ids and refs (and answers a known id from
 * it in `submit`) and of outcomes not yet acked (`onReportAcked` says when one is; it calls
 * `report()` for the rest again on start).
 * It serves plaintext HTTP/2; put TLS in front of it if the network needs it.
 *
 * A complete supplier in a few dozen lines: examples/provider/sms-provider.ts. Check any
 * implementation, built on this SDK or not, with `switchboard provider-check --target HOST:PORT`.
 */
import { randomBytes } from 'node:crypto';
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { createFrameWriter, type FrameWriter } from './frame-writer.js';
import { decodeSubmitRequest, encodeReportBatch, encodeSubmitResponse } from './provider-sdk-codec.js';
import { RecentMap } from './recent-map.js';
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

// The protocol types a handler works with, so a supplier imports from this module alone.
export { Channel, DeliveryState } from '../gen/switchboard/provider/v1/provider.js';
export type { Capabilities, DeliveryReport, InboundMessage, ProviderMessage } from '../gen/switchboard/provider/v1/provider.js';

/**
 * A supplier's answer to one message: it took it (and will report on it under
 * `providerRef`), or it refuses it and says whether a retry can help.
 */
export type SubmitOutcome =
  | { readonly accepted: { readonly providerRef: string } }
  | { readonly rejected: { readonly code: string; readonly reason: string; readonly retryable: boolean } };

/** The outcome "accepted": the supplier took the message and will report on it under `providerRef` (non-empty, unique per message). */
export function accept(providerRef: string): SubmitOutcome {
  return { accepted: { providerRef } };
}

/**
 * The outcome "rejected", with a machine-readable `code` (e.g. `INVALID_NUMBER`, `THROTTLED`) and a
 * reason a person can read. `retryable`: true when a later attempt, here or at another supplier,
 * may succeed (throttling, a temporary fault); false when none can (invalid number, blocked content).
 */
export function reject(code: string, reason: string, retryable: boolean): SubmitOutcome {
  return { rejected: { code, reason, retryable } };
}

/** True for an E.164 number (`+` then 8 to 15 digits, no leading 0), the form every ProviderMessage.recipient of a phone channel takes. */
export function isE164(recipient: string): boolean {
  return /^\+[1-9]\d{7,14}$/.test(recipient);
}

/** What a supplier writes; the SDK does the protocol around it. */
export interface ProviderHandler {
  /** Answered on GetCapabilities as is. */
  readonly capabilities: Capabilities;
  /**
   * Delivers the new (never accepted before, not expired) messages of one Submit frame. Resolves
   * to one outcome per message, in the same order ({@link accept} / {@link reject}). A thrown
   * error or rejected promise, or a wrong number of outcomes, answers every message of the batch
   * as rejected `PROVIDER_ERROR`, retryable. Validate what the network would refuse (e.g.
   * `isE164(message.recipient)`, else `reject('INVALID_NUMBER', ..., false)`).
   *
   * Calls overlap: one per Submit frame, from every connected gateway stream, so keep shared
   * state safe across awaits. Only accepted ids are remembered: a message rejected before that
   * comes again reaches `submit` again. The answer is written once the promise resolves; a slow
   * `submit` holds only its own frame, and the stream stops being read while answers back up.
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
  /**
   * Called once per report a gateway acks (the id `report()` returned): the moment a supplier that
   * keeps reports in its own store for restarts may delete it. Must not throw; a throw goes to `onError`.
   */
  onReportAcked?: ((reportId: string) => void) | undefined;
  /** grpc-js server options passed as is, e.g. `grpc.max_connection_age_ms` to make clients rotate connections. Default none. */
  grpcOptions?: Record<string, number | string> | undefined;
  /** Receives unexpected errors: handler rejections, hook throws, non-cancel stream errors. Default: ignored. */
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * The outcome of one accepted message, for {@link ProviderServer.report}. `code` is needed for
 * FAILED and EXPIRED; `doneAtMs` defaults to now.
 */
export type DeliveryEvent = Pick<DeliveryReport, 'messageId' | 'providerRef' | 'state'> & Partial<Pick<DeliveryReport, 'code' | 'description' | 'doneAtMs'>>;

/** A message a recipient sent; `inReplyToMessageId` defaults to '' (unknown), `receivedAtMs` to now. */
export type InboundEvent = Pick<InboundMessage, 'channel' | 'from' | 'to' | 'body'> & Partial<Pick<InboundMessage, 'inReplyToMessageId' | 'receivedAtMs'>>;

/** Something to report to connected gateways. */
export type ProviderEvent = { readonly delivery: DeliveryEvent } | { readonly inbound: InboundEvent };

/** Counters of a {@link ProviderServer}, since it was created. */
export interface ProviderServerStats {
  /** Messages received on Submit, duplicates included. */
  received: number;
  /** Messages answered from the record of earlier (or in-flight) ones, without calling the handler. */
  duplicates: number;
  /** Messages the handler accepted. */
  accepted: number;
  /** Messages the handler rejected, that failed with it (PROVIDER_ERROR), or that had expired (EXPIRED). */
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
  /**
   * Binds and serves; resolves to the bound port (useful with port 0). `host` defaults to
   * '127.0.0.1', reachable from this machine only: '0.0.0.0' (or '::') for gateways elsewhere.
   * `port` defaults to 0, any free port. `credentials` defaults to plaintext; for TLS pass e.g.
   * `ServerCredentials.createSsl(clientCa, [{ cert_chain, private_key }], true)` (true: gateways
   * must present a client certificate signed by clientCa, the mutual TLS that providers[].tls
   * certFile/keyFile give).
   */
  listen(host?: string, port?: number, credentials?: ServerCredentials): Promise<number>;
  /**
   * Queues a report for the gateways and returns its report id; kept until a gateway acks it.
   * A delivery names the message_id and the provider_ref the message was accepted with; give
   * one final report per accepted message. Safe to call before any gateway is connected.
   */
  report(event: ProviderEvent): string;
  /** Current counters. */
  stats(): ProviderServerStats;
  /** Ends streams once their batches are answered, then shuts down; forces it after `graceMs` (default 5000). */
  close(graceMs?: number): Promise<void>;
  /** Drops every connection at once, like a crash. */
  forceClose(): void;
}

/** ChannelProvider with the SDK's own codec on the two streams that carry every message and report (provider-sdk-codec.ts). */
const SDK_SERVICE = {
  ...ChannelProviderService,
  submit: { ...ChannelProviderService.submit, requestDeserialize: decodeSubmitRequest, responseSerialize: encodeSubmitResponse },
  reports: { ...ChannelProviderService.reports, responseSerialize: encodeReportBatch },
} as const;

const PROVIDER_ERROR = 'PROVIDER_ERROR';
/** The code provider.proto prescribes for a message past its expires_at_ms. */
const EXPIRED = 'EXPIRED';

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
  const onReportAcked = options.onReportAcked;

  const server = new Server(options.grpcOptions ?? {});
  const counters = { received: 0, duplicates: 0, accepted: 0, rejected: 0, reportsAcked: 0, reportsDropped: 0 };
  // Insertion-ordered, so the first key is the oldest: that makes the bound O(1).
  const acceptedRefs = new RecentMap<string>(rememberMessageIds);
  const inFlight = new Map<string, Batch>();
  const submitCalls = new Set<{ close(): void }>();
  const pendingReports = new Map<string, ProviderReport>();
  /**
   * Where taking the oldest pending report resumes (see takeOldestPending): one iterator kept across
   * calls, because a new one per frame first steps over every slot V8 keeps for the reports already
   * taken from the front of the Map, 1-3 µs per report with 100k-1M waiting (measured).
   */
  let pendingWalk: MapIterator<[string, ProviderReport]> | undefined;
  const reportStreams: ReportStream[] = [];
  let nextStream = 0;
  let reportCounter = 0;
  let flushScheduled = false;
  let closing = false;
  let closed: Promise<void> | undefined;

  const rememberAccepted = (messageId: string, providerRef: string): void => {
    acceptedRefs.set(messageId, providerRef);
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
        } else if (message.expiresAtMs > 0 && message.expiresAtMs <= Date.now()) {
          counters.rejected++;
          results[i] = toResult(id, reject(EXPIRED, `message expired at ${new Date(message.expiresAtMs).toISOString()}, before it could be sent`, false));
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

  /** Removes and returns the oldest pending report (the Map keeps them oldest first), or undefined. */
  const takeOldestPending = (): ProviderReport | undefined => {
    while (pendingReports.size > 0) {
      pendingWalk ??= pendingReports.entries();
      const next = pendingWalk.next();
      // The walk has passed the end; reports set since are behind a new one from the front.
      if (next.done === true) {
        pendingWalk = undefined;
        continue;
      }
      pendingReports.delete(next.value[0]);
      return next.value[1];
    }
    return undefined;
  };

  const requeue = (report: ProviderReport): void => {
    pendingReports.set(report.reportId, report);
    if (pendingReports.size > maxPendingReports) {
      takeOldestPending();
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
      for (let report = takeOldestPending(); report !== undefined; report = reports.length < room ? takeOldestPending() : undefined) {
        stream.unacked.set(report.reportId, report);
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
          if (onReportAcked !== undefined) {
            try {
              onReportAcked(id);
            } catch (error) {
              onError(error);
            }
          }
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
  server.addService(SDK_SERVICE, implementation);

  const endAllStreams = (): void => {
    closing = true;
    for (const call of [...submitCalls]) call.close();
    for (const stream of [...reportStreams]) stream.detach();
  };

  return {
    listen: (host = '127.0.0.1', port = 0, credentials = ServerCredentials.createInsecure()) =>
      new Promise<number>((resolve, reject) => {
        const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
        server.bindAsync(target, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
      }),
    report: (event) => {
      const reportId = `${reportIdPrefix}-${++reportCounter}`;
      requeue(
        'delivery' in event
          ? { reportId, event: { $case: 'delivery', value: toDeliveryReport(event.delivery) } }
          : { reportId, event: { $case: 'inbound', value: toInboundMessage(event.inbound) } },
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

function toDeliveryReport(event: DeliveryEvent): DeliveryReport {
  return {
    messageId: event.messageId,
    providerRef: event.providerRef,
    state: event.state,
    code: event.code ?? '',
    description: event.description ?? '',
    doneAtMs: event.doneAtMs ?? Date.now(),
  };
}

function toInboundMessage(event: InboundEvent): InboundMessage {
  return {
    channel: event.channel,
    from: event.from,
    to: event.to,
    body: event.body,
    inReplyToMessageId: event.inReplyToMessageId ?? '',
    receivedAtMs: event.receivedAtMs ?? Date.now(),
  };
}

function toResult(messageId: string, outcome: SubmitOutcome): SubmitResult {
  return 'accepted' in outcome
    ? { messageId, outcome: { $case: 'accepted', value: { providerRef: outcome.accepted.providerRef } } }
    : { messageId, outcome: { $case: 'rejected', value: { ...outcome.rejected } } };
}
