import { credentials, Metadata, type ChannelCredentials, type ChannelOptions, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { MessageGatewayClient, RejectReason, type Ack, type AckBatch, type Message, type SendBatch, type SendResponse } from '../gen/switchboard/v1/gateway.js';
import { API_KEY_HEADER } from '../gateway/authenticate.js';
import { LatencyHistogram } from './latency-histogram.js';

/**
 * The load generator of `npm run bench` and `switchboard bench`: SendStream (batched frames) or
 * unary Send against any MessageGateway address, closed-loop (as fast as flow control allows) or
 * open-loop at a fixed rate. Open-loop latency is measured from each frame's scheduled send time,
 * not from when it was written, so a stalled server shows up in the percentiles instead of
 * silently slowing the sender (no coordinated omission).
 */
export interface LoadOptions {
  /** host:port of a MessageGateway (or the echo baseline). */
  target: string;
  /** How to reach it; plaintext when absent. */
  credentials?: ChannelCredentials | undefined;
  /** Channel options the credentials need (e.g. grpc.ssl_target_name_override). */
  channelOptions?: ChannelOptions | undefined;
  apiKey: string;
  /** 'stream': SendStream frames of batchSize; 'unary': one Send per message. */
  mode: 'stream' | 'unary';
  /** Concurrent streams (stream mode) or concurrent callers (closed-loop unary). Each stream has its own connection. */
  concurrency: number;
  batchSize: number;
  /** Messages per second over all streams; 0 sends as fast as flow control allows. */
  ratePerSec: number;
  durationMs: number;
  /** Stop scheduling after this many messages (e.g. the 2,000,000-message memory run). */
  maxMessages?: number | undefined;
  /** Closed loop: frames (or unary calls) in flight per stream. Default 8 frames, 1 call. */
  window?: number | undefined;
  /** The message sent, reused for every slot. */
  message: Message;
  /**
   * Gives every message its own client_ref, `<prefix><stream>-<n>`, as a client that resends
   * safely does (the gateway then checks each against its client_ref window). Absent: every slot
   * sends `message` as it is.
   */
  clientRefPrefix?: string | undefined;
  /** Called with each answered frame's acks and its scheduled time (performance.now() ms). */
  onAcks?: ((acks: readonly Ack[], scheduledAtMs: number) => void) | undefined;
  /** Called once per sample interval with the figures so far. */
  onSample?: ((sample: LoadSample, totals: LoadTotals) => void) | undefined;
  /** Default 1000. */
  sampleIntervalMs?: number | undefined;
  /** How long to wait for outstanding answers after the last send. Default 15000. */
  drainMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface LoadTotals {
  sent: number;
  accepted: number;
  rejected: number;
  /** Failed calls and messages never answered. */
  errors: number;
  elapsedMs: number;
}

/** Figures of one sample interval. */
export interface LoadSample {
  /** Seconds since the start, at the end of the interval. */
  t: number;
  acceptedPerSec: number;
  rejectedPerSec: number;
  errors: number;
  ackP50Ms: number;
  ackP99Ms: number;
}

export interface LoadResult extends LoadTotals {
  acceptedPerSec: number;
  ack: LatencyHistogram;
  series: LoadSample[];
  /** First few distinct error messages, for the report. */
  errorMessages: string[];
  /** Rejection reasons by name and count. */
  rejectReasons: Record<string, number>;
}

/** A Message with every field at its default, for building bench messages. */
export function emptyMessage(fields: Partial<Message>): Message {
  return {
    clientRef: '', recipient: '', sender: '', templateId: '', variables: {}, content: undefined,
    kind: 0, priority: 0, channel: 0, ttlMs: 0, tags: [], nightConsent: false, ...fields,
  };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  // One connection per stream: grpc-js would otherwise share one HTTP/2 connection between clients.
  const clients = Array.from({ length: options.concurrency }, () =>
    new MessageGatewayClient(options.target, options.credentials ?? credentials.createInsecure(), {
      ...options.channelOptions,
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    }),
  );
  // Connect before the clock starts, so connection setup is not counted as latency.
  await Promise.all(clients.map((client) => new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 10_000, (error) => (error ? reject(new Error(`cannot connect to ${options.target}: ${error.message}`)) : resolve())),
  ))).catch((error: unknown) => {
    for (const client of clients) client.close();
    throw error;
  });
  const start = performance.now();
  const totals: LoadTotals = { sent: 0, accepted: 0, rejected: 0, errors: 0, elapsedMs: 0 };
  const ack = new LatencyHistogram();
  let intervalAck = new LatencyHistogram();
  let intervalAccepted = 0;
  let intervalRejected = 0;
  let intervalErrors = 0;
  const series: LoadSample[] = [];
  const errorMessages: string[] = [];
  const rejectReasons: Record<string, number> = {};
  const limit = options.maxMessages ?? Number.POSITIVE_INFINITY;
  const endAt = start + options.durationMs;
  let stopped = false;
  const stopSending = (): boolean => stopped || performance.now() >= endAt || totals.sent >= limit || options.signal?.aborted === true;

  const noteError = (message: string, messages: number): void => {
    totals.errors += messages;
    intervalErrors += messages;
    if (errorMessages.length < 5 && !errorMessages.includes(message)) errorMessages.push(message);
  };
  const noteAcks = (acks: readonly Ack[], scheduledAt: number, count: number): void => {
    const latency = performance.now() - scheduledAt;
    ack.recordMs(latency, count);
    intervalAck.recordMs(latency, count);
    for (const a of acks) {
      if (a.accepted) {
        totals.accepted++;
        intervalAccepted++;
      } else {
        totals.rejected++;
        intervalRejected++;
        const name = RejectReason[a.reason] ?? String(a.reason);
        rejectReasons[name] = (rejectReasons[name] ?? 0) + 1;
      }
    }
    options.onAcks?.(acks, scheduledAt);
  };

  const intervalMs = options.sampleIntervalMs ?? 1000;
  let lastSampleAt = start;
  const sampler = setInterval(() => {
    const now = performance.now();
    const seconds = (now - lastSampleAt) / 1000;
    lastSampleAt = now;
    const sample: LoadSample = {
      t: Number(((now - start) / 1000).toFixed(2)),
      acceptedPerSec: Math.round(intervalAccepted / seconds),
      rejectedPerSec: Math.round(intervalRejected / seconds),
      errors: intervalErrors,
      ackP50Ms: intervalAck.percentileMs(50),
      ackP99Ms: intervalAck.percentileMs(99),
    };
    series.push(sample);
    intervalAck = new LatencyHistogram();
    intervalAccepted = intervalRejected = intervalErrors = 0;
    totals.elapsedMs = now - start;
    options.onSample?.(sample, totals);
  }, intervalMs);

  const metadata = new Metadata();
  metadata.set(API_KEY_HEADER, options.apiKey);
  const context: WorkerContext = { options, metadata, start, stopSending, noteAcks, noteError, totals };
  try {
    await Promise.all(
      clients.map((client, i) => (options.mode === 'stream' ? streamWorker(client, i, context) : unaryWorker(client, i, context))),
    );
  } finally {
    stopped = true;
    clearInterval(sampler);
    for (const client of clients) client.close();
  }
  totals.elapsedMs = performance.now() - start;
  return {
    ...totals,
    acceptedPerSec: Math.round(totals.accepted / (totals.elapsedMs / 1000)),
    ack,
    series,
    errorMessages,
    rejectReasons,
  };
}

interface WorkerContext {
  options: LoadOptions;
  metadata: Metadata;
  start: number;
  stopSending(): boolean;
  noteAcks(acks: readonly Ack[], scheduledAt: number, count: number): void;
  noteError(message: string, messages: number): void;
  totals: LoadTotals;
}

/** Per-stream schedule: frame k of stream i is due at start + offset + k * interval (open loop). */
function frameInterval(context: WorkerContext, perCall: number): number {
  const { options } = context;
  return options.ratePerSec > 0 ? (perCall * options.concurrency * 1000) / options.ratePerSec : 0;
}

function streamWorker(client: MessageGatewayClient, index: number, context: WorkerContext): Promise<void> {
  const { options, totals } = context;
  const refs = options.clientRefPrefix === undefined ? undefined : new ClientRefs(options.clientRefPrefix, index, options.message);
  const sharedFrame = refs === undefined ? Array.from({ length: options.batchSize }, () => options.message) : [];
  const interval = frameInterval(context, options.batchSize);
  const offset = (interval * index) / options.concurrency;
  const window = options.window ?? 8;
  const scheduled = new Map<number, number>();
  const call: ClientDuplexStream<SendBatch, AckBatch> = client.sendStream(context.metadata);
  let next = 0;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;

  return new Promise<void>((resolve) => {
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (timer !== undefined) clearTimeout(timer);
      if (drainTimer !== undefined) clearTimeout(drainTimer);
      if (scheduled.size > 0) context.noteError(`${scheduled.size} frames unanswered`, scheduled.size * options.batchSize);
      scheduled.clear();
      call.cancel();
      resolve();
    };
    const endIfDone = (): void => {
      if (!context.stopSending() || finished) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (scheduled.size === 0) {
        finished = true;
        if (drainTimer !== undefined) clearTimeout(drainTimer);
        call.end();
        resolve();
      } else {
        drainTimer ??= setTimeout(finish, options.drainMs ?? 15_000);
      }
    };
    const send = (scheduledAt: number): void => {
      scheduled.set(next, scheduledAt);
      call.write({ batchId: next, messages: refs === undefined ? sharedFrame : refs.frame(options.batchSize) } satisfies SendBatch);
      next++;
      totals.sent += options.batchSize;
    };
    const closedLoop = (): void => {
      while (scheduled.size < window && !context.stopSending()) send(performance.now());
      endIfDone();
    };
    const openLoop = (): void => {
      const now = performance.now();
      while (!context.stopSending()) {
        const due = context.start + offset + next * interval;
        if (due > now) break;
        send(due);
      }
      endIfDone();
      if (!finished && !context.stopSending()) timer = setTimeout(openLoop, Math.max(0, Math.min(5, context.start + offset + next * interval - performance.now())));
    };
    call.on('data', (batch: AckBatch) => {
      const id = Number(batch.batchId);
      const scheduledAt = scheduled.get(id);
      if (scheduledAt === undefined) return;
      scheduled.delete(id);
      context.noteAcks(batch.acks, scheduledAt, batch.acks.length);
      if (interval === 0) closedLoop();
      else endIfDone();
    });
    call.on('error', (error: ServiceError) => {
      if (finished) return;
      context.noteError(`${error.code}: ${error.details}`, scheduled.size * options.batchSize);
      scheduled.clear();
      finish();
    });
    call.on('end', () => finish());
    if (interval === 0) closedLoop();
    else openLoop();
  });
}

function unaryWorker(client: MessageGatewayClient, index: number, context: WorkerContext): Promise<void> {
  const { options, totals } = context;
  const refs = options.clientRefPrefix === undefined ? undefined : new ClientRefs(options.clientRefPrefix, index, options.message);
  const interval = frameInterval(context, 1);
  const offset = (interval * index) / options.concurrency;
  const window = options.window ?? 1;
  let next = 0;
  let inFlight = 0;
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const maybeDone = (): void => {
      if (context.stopSending() && inFlight === 0) {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      }
    };
    const send = (scheduledAt: number): void => {
      inFlight++;
      next++;
      totals.sent++;
      client.send({ message: refs === undefined ? options.message : refs.next() }, context.metadata, { deadline: Date.now() + (options.drainMs ?? 15_000) }, (error: ServiceError | null, response?: SendResponse) => {
        inFlight--;
        if (error) context.noteError(`${error.code}: ${error.details}`, 1);
        else context.noteAcks([{ index: 0, clientRef: '', messageId: response?.messageId ?? '', accepted: true, duplicate: response?.duplicate ?? false, reason: 0, detail: '' }], scheduledAt, 1);
        if (interval === 0) closedLoop();
        maybeDone();
      });
    };
    const closedLoop = (): void => {
      while (inFlight < window && !context.stopSending()) send(performance.now());
    };
    const openLoop = (): void => {
      const now = performance.now();
      while (!context.stopSending()) {
        const due = context.start + offset + next * interval;
        if (due > now) break;
        send(due);
      }
      if (context.stopSending()) return maybeDone();
      timer = setTimeout(openLoop, Math.max(0, Math.min(5, context.start + offset + next * interval - performance.now())));
    };
    if (interval === 0) closedLoop();
    else openLoop();
    maybeDone();
  });
}

/** The messages of one stream or caller, each with the next client_ref of its own sequence. */
class ClientRefs {
  private sent = 0;

  constructor(
    private readonly prefix: string,
    private readonly worker: number,
    private readonly message: Message,
  ) {}

  next(): Message {
    return { ...this.message, clientRef: `${this.prefix}${this.worker}-${this.sent++}` };
  }

  frame(size: number): Message[] {
    const messages: Message[] = new Array(size);
    for (let i = 0; i < size; i++) messages[i] = this.next();
    return messages;
  }
}
