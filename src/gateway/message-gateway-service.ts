import type { ServerDuplexStream, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { status as Status } from '@grpc/grpc-js';
import type { Config, Tenant } from '../config/config.js';
import {
  Priority,
  RejectReason,
  type Ack,
  type AckBatch,
  type ExplainRouteRequest,
  type GetStatusRequest,
  type Message,
  type MessageGatewayServer,
  type MessageStatus,
  type Report,
  type RouteExplanation,
  type SendBatch,
  type SendRequest,
  type SendResponse,
  type WatchReportsRequest,
} from '../gen/switchboard/v1/gateway.js';
import { InvalidCursorError } from '../store/store-errors.js';
import type { GatewayMetrics } from '../metrics.js';
import { acceptBatch, type AcceptDeps } from './accept-batch.js';
import { authenticate } from './authenticate.js';
import { explainRoute, type ExplainDeps } from './explain-route.js';
import type { CallRegistry } from './call-registry.js';
import { GatewayError, invalidArgument, notFound } from './gateway-error.js';
import type { TenantAdmission } from './tenant-admission.js';
import { MessageReader } from './message-reader.js';
import { toStatus } from './to-status.js';
import { toWireReport, toWireStatus } from './to-wire-status.js';
import type { BulkTurnBudget } from './bulk-turn-budget.js';
import { unaryHandler } from './unary-handler.js';

export interface GatewayServiceDeps extends AcceptDeps, ExplainDeps {
  readonly metrics: GatewayMetrics;
  /** The config in force; read once per call, so a reload applies to the next call. */
  readonly config: () => Config;
  readonly calls: CallRegistry;
  /** Holds tenants to their accept rates. */
  readonly admission: TenantAdmission;
  /** Event-loop time for bulk work per turn; a SendStream group that is not all urgent asks before it is stored. */
  readonly bulkTurns?: BulkTurnBudget;
}

/** Reports read from the store per write loop iteration of WatchReports. */
const WATCH_BATCH = 500;

/**
 * Most messages of frames stored together (see sendStream): enough to spare a client that sends
 * one message per frame a store call per message, small enough that storing a group stays a
 * short task for the event loop (an urgent unary Send waits behind it).
 */
const GROUP_MAX_MESSAGES = 256;

/** Stream-level rejections are errors; the rest of a frame's problems are per-message acks. */
const STATUS_OF_REJECTION: Partial<Record<RejectReason, Status>> = {
  [RejectReason.REJECT_REASON_QUEUE_FULL]: Status.RESOURCE_EXHAUSTED,
  [RejectReason.REJECT_REASON_STORE_UNAVAILABLE]: Status.UNAVAILABLE,
  [RejectReason.REJECT_REASON_INVALID_SENDER]: Status.FAILED_PRECONDITION,
  [RejectReason.REJECT_REASON_CLIENT_REF_CONFLICT]: Status.ALREADY_EXISTS,
};

/** The MessageGateway implementation. Each handler is wrapped once so every error becomes a proper status (C5). */
export function createMessageGatewayService(deps: GatewayServiceDeps): MessageGatewayServer {
  const counters = new AdmissionCounters(deps.metrics);
  return {
    send: unaryHandler(deps.calls, async (call: ServerUnaryCall<SendRequest, SendResponse>): Promise<SendResponse> => {
      const config = deps.config();
      const tenant = authenticate(call, config);
      const { message } = call.request;
      if (message === undefined) throw invalidArgument('message is required');
      try {
        await deps.admission.admitOne(tenant, message.priority === Priority.PRIORITY_URGENT);
      } catch (error) {
        deps.metrics.tenantRateLimited.inc({ tenant: tenant.id, outcome: 'refused' });
        throw error;
      }
      const acks = await acceptBatch([message], tenant, config, deps);
      counters.count(acks);
      const [ack] = acks;
      if (ack === undefined) throw new Error('acceptBatch returned no ack for one message');
      if (!ack.accepted) throw new GatewayError(STATUS_OF_REJECTION[ack.reason] ?? Status.INVALID_ARGUMENT, ack.detail);
      return { messageId: ack.messageId, duplicate: ack.duplicate };
    }),

    sendStream: (call: ServerDuplexStream<SendBatch, AckBatch>) => {
      void streaming(deps, call, async (signal) => {
        const config = deps.config();
        const tenant = authenticate(call, config);
        // One frame at a time: while a frame is stored, the call is not read, so a client faster
        // than the store is held back by HTTP/2 flow control instead of buffered here.
        const frames = new MessageReader<SendBatch>(call, config.server.streamIdleTimeoutMs);
        for (let frame = await frames.next(); frame !== null && !signal.aborted; frame = await frames.next()) {
          checkFrame(frame, config);
          // Frames that have already arrived are accepted together, in one store call: a client
          // that sends a message per frame would otherwise pay a store call per message (a Redis
          // round trip, in series). A frame that breaks the rules ends the group; it is refused
          // once the frames before it are acked.
          const group = [frame];
          let count = frame.messages.length;
          let refused: SendBatch | null = null;
          while (count < GROUP_MAX_MESSAGES) {
            const next = frames.poll();
            if (next === null) break;
            if (frameProblem(next, config) !== null) {
              refused = next;
              break;
            }
            group.push(next);
            count += next.messages.length;
          }
          if (tenant.acceptRate !== null) {
            // Held here, the stream is not read: HTTP/2 flow control slows the client to the rate.
            const held = await deps.admission.admitMany(tenant, count, allUrgent(group), signal);
            if (held === null) break;
            if (held) deps.metrics.tenantRateLimited.inc({ tenant: tenant.id, outcome: 'held' }, count);
          }
          if (deps.bulkTurns !== undefined && !allUrgent(group)) await deps.bulkTurns.waitForTurn();
          const acksOfFrames = await acceptFrames(group, count, tenant, config, deps);
          let drained = true;
          for (let i = 0; i < group.length; i++) {
            const { batchId, messages } = group[i]!;
            let acks = acksOfFrames[i]!;
            if (hasQueueFull(acks)) acks = await holdWhileFull(acks, messages, tenant, config, deps, signal);
            counters.count(acks);
            drained = call.write({ batchId, acks }) && drained;
          }
          if (!drained) await waitForDrain(call, signal);
          if (refused !== null) checkFrame(refused, config);
        }
      });
    },

    getStatus: unaryHandler(deps.calls, async (call: ServerUnaryCall<GetStatusRequest, MessageStatus>): Promise<MessageStatus> => {
      const tenant = authenticate(call, deps.config());
      const { messageId } = call.request;
      if (messageId === '') throw invalidArgument('message_id is required');
      const record = await deps.store.getStatus(tenant.id, messageId);
      if (record === undefined) throw notFound(`message ${JSON.stringify(messageId)} is not known to tenant "${tenant.id}" (or its status has expired)`);
      return toWireStatus(record);
    }),

    explainRoute: unaryHandler(deps.calls, async (call: ServerUnaryCall<ExplainRouteRequest, RouteExplanation>): Promise<RouteExplanation> => {
      const config = deps.config();
      const tenant = authenticate(call, config);
      return explainRoute(call.request.message, tenant, config, deps);
    }),

    watchReports: (call: ServerWritableStream<WatchReportsRequest, Report>) => {
      void streaming(deps, call, async (signal) => {
        const tenant = authenticate(call, deps.config());
        const { cursor: requested, fromOldest } = call.request;
        let cursor = requested !== '' ? requested : fromOldest ? 'oldest' : await deps.store.latestCursor(tenant.id);
        if (cursor === '') cursor = 'oldest'; // nothing recorded yet: everything from now on is after "oldest"
        while (!signal.aborted) {
          const reports = await deps.store.readReports(tenant.id, cursor, WATCH_BATCH, signal).catch((error: unknown) => {
            throw error instanceof InvalidCursorError ? invalidArgument(error.message) : error;
          });
          for (const report of reports) {
            cursor = report.cursor;
            if (!call.write(toWireReport(report))) await waitForDrain(call, signal);
          }
        }
      });
    },
  };
}

/**
 * Runs a streaming handler: ends the call with OK when the handler returns, or with the status of
 * its error, or of the signal's reason when the server drains (UNAVAILABLE) or the client cancels.
 */
async function streaming(
  deps: GatewayServiceDeps,
  call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
  handler: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const scope = deps.calls.open(call);
  const signal = scope.signal;
  // A drain ends the call promptly even while the handler waits for the client's next frame.
  const onAbort = (): void => {
    if (call.cancelled) return;
    call.emit('error', toStatus(signal.reason));
    // End the read side too, so a handler waiting for the client's next frame returns.
    if ('push' in call) call.push(null);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await handler(signal);
    if (!signal.aborted) call.end();
  } catch (error) {
    if (!signal.aborted && !call.cancelled) call.emit('error', toStatus(error));
  } finally {
    signal.removeEventListener('abort', onAbort);
    deps.calls.close(scope);
  }
}

/**
 * Waits until the call's write buffer drains, or the call ends: an abort (server drain) emits
 * 'error' on the call (see streaming), a client cancel destroys it ('close'). Listening on the call,
 * not on the signal: an EventEmitter listener costs far less than an AbortSignal one, and this
 * runs for most frames of a busy stream.
 */
function waitForDrain(call: NodeJS.EventEmitter, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done).off('error', done).off('close', done);
      resolve();
    };
    call.on('drain', done).on('error', done).on('close', done);
  });
}

const ACCEPTED = { duplicate: 'false' } as const;
const DUPLICATE = { duplicate: 'true' } as const;

/** The admission counters, added to once per batch per outcome kind, never per message. */
class AdmissionCounters {
  /** The label of each RejectReason, made once instead of per batch. */
  private readonly rejectedLabels = new Map<RejectReason, { reason: string }>();

  constructor(private readonly metrics: GatewayMetrics) {}

  count(acks: readonly Ack[]): void {
    let accepted = 0;
    let duplicates = 0;
    let rejected = 0;
    for (const ack of acks) {
      if (!ack.accepted) rejected++;
      else if (ack.duplicate) duplicates++;
      else accepted++;
    }
    if (accepted > 0) this.metrics.messagesAccepted.inc(ACCEPTED, accepted);
    if (duplicates > 0) this.metrics.messagesAccepted.inc(DUPLICATE, duplicates);
    if (rejected > 0) this.countRejected(acks);
  }

  private countRejected(acks: readonly Ack[]): void {
    const byReason = new Map<RejectReason, number>();
    for (const ack of acks) if (!ack.accepted) byReason.set(ack.reason, (byReason.get(ack.reason) ?? 0) + 1);
    for (const [reason, count] of byReason) this.metrics.messagesRejected.inc(this.rejectedLabel(reason), count);
  }

  private rejectedLabel(reason: RejectReason): { reason: string } {
    let label = this.rejectedLabels.get(reason);
    if (label === undefined) {
      label = { reason: RejectReason[reason]?.replace('REJECT_REASON_', '') ?? String(reason) };
      this.rejectedLabels.set(reason, label);
    }
    return label;
  }
}

/** Why a SendBatch frame is refused as a whole (the stream ends with INVALID_ARGUMENT), or null. */
function frameProblem(frame: SendBatch, config: Config): string | null {
  if (frame.messages.length === 0) return `SendBatch ${frame.batchId}: messages is empty`;
  if (frame.messages.length > config.limits.maxBatchSize) {
    return `SendBatch ${frame.batchId}: messages has ${frame.messages.length} entries; the limit is ${config.limits.maxBatchSize}`;
  }
  return null;
}

function checkFrame(frame: SendBatch, config: Config): void {
  const problem = frameProblem(frame, config);
  if (problem !== null) throw invalidArgument(problem);
}

/**
 * Accepts the messages of several frames with one acceptBatch; returns each frame's acks, indexed
 * within its frame. `count` is the frames' total of messages.
 */
async function acceptFrames(frames: readonly SendBatch[], count: number, tenant: Tenant, config: Config, deps: GatewayServiceDeps): Promise<Ack[][]> {
  if (frames.length === 1) return [await acceptBatch(frames[0]!.messages, tenant, config, deps)];
  const messages: Message[] = new Array(count);
  let at = 0;
  for (const frame of frames) for (const message of frame.messages) messages[at++] = message;
  const acks = await acceptBatch(messages, tenant, config, deps);
  const acksOfFrames: Ack[][] = new Array(frames.length);
  let offset = 0;
  for (let i = 0; i < frames.length; i++) {
    const end = offset + frames[i]!.messages.length;
    const frameAcks = acks.slice(offset, end);
    for (const ack of frameAcks) ack.index -= offset;
    acksOfFrames[i] = frameAcks;
    offset = end;
  }
  return acksOfFrames;
}

/** Whether every message of the frames is urgent: only such frames may use the tenant's urgent reserve. */
function allUrgent(frames: readonly SendBatch[]): boolean {
  for (const frame of frames) for (const message of frame.messages) if (message.priority !== Priority.PRIORITY_URGENT) return false;
  return true;
}

function hasQueueFull(acks: readonly Ack[]): boolean {
  for (const ack of acks) if (ack.reason === RejectReason.REJECT_REASON_QUEUE_FULL) return true;
  return false;
}

/**
 * For a stream frame that found the queue full: the frame is held and its refused messages tried
 * again with backoff, up to limits.queueFullWaitMs. The stream is not read meanwhile, so a client
 * faster than the dispatcher is slowed by HTTP/2 flow control instead of getting QUEUE_FULL acks
 * to resend. `acks` are the frame's first acks; returns them with the retried ones replaced.
 */
async function holdWhileFull(acks: Ack[], messages: readonly Message[], tenant: Tenant, config: Config, deps: GatewayServiceDeps, signal: AbortSignal): Promise<Ack[]> {
  for (let waitedMs = 0, pauseMs = 5; waitedMs < config.limits.queueFullWaitMs && !signal.aborted; waitedMs += pauseMs, pauseMs = Math.min(pauseMs * 2, 100)) {
    const refused: number[] = [];
    acks.forEach((ack, i) => ack.reason === RejectReason.REJECT_REASON_QUEUE_FULL && refused.push(i));
    if (refused.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const retried = await acceptBatch(refused.map((i) => messages[i] as Message), tenant, config, deps);
    retried.forEach((ack, j) => {
      const index = refused[j] as number;
      acks[index] = { ...ack, index };
    });
  }
  return acks;
}
