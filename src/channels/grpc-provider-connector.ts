import { credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import type { GrpcProviderSettings } from '../config/config.js';
import {
  ChannelProviderClient,
  DeliveryState as WireDeliveryState,
  type ProviderMessage,
  type ProviderReport as WireReport,
  type ReportAck,
  type ReportBatch,
  type SubmitRequest,
  type SubmitResponse,
} from '../gen/switchboard/provider/v1/provider.js';
import { fromProviderChannel, toProviderChannel } from './provider-channel.js';
import type {
  DeliveryState,
  OutboundMessage,
  ProviderCapabilities,
  ProviderLiveState,
  ProviderConnector,
  ProviderReport,
  ProviderReportBatch,
  SubmitOutcome,
} from './provider-connector.js';
import { ReportQueue } from './report-queue.js';

/** The outcomes of one submit() call, filled in as answers arrive from any frame. */
interface PendingBatch {
  readonly outcomes: SubmitOutcome[];
  remaining: number;
  readonly resolve: () => void;
}

interface PendingMessage {
  readonly batch: PendingBatch;
  readonly index: number;
}

/** How long written messages may go unanswered while the stream is otherwise silent before it is treated as stalled. */
const STALLED_STREAM_MS = 30_000;
/** Report frames buffered before the Reports stream is paused (back-pressure to the provider). */
const REPORT_QUEUE_HIGH_WATER = 64;

/**
 * Connects to one supplier's ChannelProvider server: one persistent HTTP/2 connection with a
 * long-lived Submit stream and Reports stream. Submits are windowed (at most `window` messages
 * unanswered); a broken stream hands its unanswered messages back as retryable, and the
 * connector reconnects with exponential backoff and jitter.
 */
export class GrpcProviderConnector implements ProviderConnector {
  readonly kind = 'grpc' as const;
  readonly id: string;
  private readonly client: ChannelProviderClient;
  private submitCall: ClientDuplexStream<SubmitRequest, SubmitResponse> | null = null;
  private reportsCall: ClientDuplexStream<ReportAck, ReportBatch> | null = null;
  private readonly pending = new Map<string, PendingMessage>();
  private readonly reportQueue: ReportQueue<ProviderReportBatch>;
  private connectedWaiters: (() => void)[] = [];
  private windowWaiters: (() => void)[] = [];
  private providerCapabilities: ProviderCapabilities;
  private closed = false;
  /**
   * Set when a submit waited connectTimeoutMs for a connection in vain, cleared when one opens:
   * while set, submits fail at once instead of each waiting out the timeout again, so traffic moves
   * to other suppliers without delay during an outage (a breaker on reachability). Reconnecting
   * goes on in the background.
   */
  private unreachable = false;
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private lastAnswerAtMs = 0;
  private readonly stallTimer: NodeJS.Timeout;

  constructor(private readonly settings: GrpcProviderSettings) {
    this.id = settings.id;
    this.providerCapabilities = { channels: settings.channels, maxTps: 0, maxBodyBytes: 0, maxInFlight: settings.window };
    this.client = new ChannelProviderClient(settings.address, credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': settings.reconnectBackoffMs,
      'grpc.max_reconnect_backoff_ms': settings.maxReconnectBackoffMs,
    });
    this.reportQueue = new ReportQueue(REPORT_QUEUE_HIGH_WATER, () => this.reportsCall?.resume());
    this.stallTimer = setInterval(() => this.checkStalled(), Math.min(STALLED_STREAM_MS, 5_000));
    this.stallTimer.unref();
    this.connect();
  }

  capabilities(): ProviderCapabilities {
    return this.providerCapabilities;
  }

  liveState(): ProviderLiveState {
    return { connected: this.submitCall !== null, reachable: !(this.unreachable && this.submitCall === null), inFlight: this.pending.size };
  }

  async submit(batch: readonly OutboundMessage[], signal: AbortSignal): Promise<SubmitOutcome[]> {
    const outcomes: SubmitOutcome[] = new Array(batch.length);
    let resolveBatch!: () => void;
    const done = new Promise<void>((resolve) => (resolveBatch = resolve));
    const pendingBatch: PendingBatch = { outcomes, remaining: batch.length, resolve: resolveBatch };

    let next = 0;
    const failFast = this.unreachable && this.submitCall === null;
    while (next < batch.length && !failFast) {
      const call = await this.waitForStream(signal);
      if (call === null) break;
      const chunkSize = Math.min(batch.length - next, await this.waitForWindow(batch.length - next, signal));
      if (chunkSize === 0 || this.submitCall !== call) continue;
      // A message can outlive its TTL while it waits for a connection or window: never send it late.
      const nowMs = Date.now();
      const messages: ProviderMessage[] = [];
      for (let i = next; i < next + chunkSize; i++) {
        const message = batch[i] as OutboundMessage;
        if (message.expiresAtMs > 0 && message.expiresAtMs <= nowMs) {
          outcomes[i] = { kind: 'rejected', code: 'TTL_EXPIRED', reason: 'the message TTL passed while it waited for the provider', retryable: false };
          pendingBatch.remaining--;
          continue;
        }
        messages.push(toWireMessage(message));
        this.pending.set(message.messageId, { batch: pendingBatch, index: i });
      }
      next += chunkSize;
      if (messages.length === 0) continue;
      if (this.pending.size === messages.length) this.lastAnswerAtMs = nowMs;
      if (!call.write({ messages })) await waitForDrain(call);
    }
    // Whatever could not be written goes back to the caller for a later try.
    if (next < batch.length) {
      const [code, reason] = failFast
        ? ['PROVIDER_UNREACHABLE', `provider "${this.id}" has been unreachable since its last connect timeout; not waiting for it`]
        : ['UNAVAILABLE', signal.aborted ? 'submit cancelled' : `provider "${this.id}" is not connected`];
      for (let i = next; i < batch.length; i++) {
        outcomes[i] = { kind: 'rejected', code, reason, retryable: true };
      }
      pendingBatch.remaining -= batch.length - next;
    }
    if (pendingBatch.remaining === 0) return outcomes;
    await done;
    return outcomes;
  }

  reports(): AsyncIterable<ProviderReportBatch> {
    return this.reportQueue;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.stallTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.dropStreams('connector closed');
    this.reportQueue.close();
    this.wakeAll();
    this.client.close();
  }

  private connect(): void {
    if (this.closed) return;
    const deadline = Date.now() + this.settings.connectTimeoutMs;
    this.client.waitForReady(deadline, (error) => {
      if (this.closed) return;
      if (error) {
        this.scheduleReconnect();
        return;
      }
      this.openStreams();
    });
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== null) return;
    const base = Math.min(this.settings.maxReconnectBackoffMs, this.settings.reconnectBackoffMs * 2 ** this.reconnectAttempt);
    this.reconnectAttempt = Math.min(this.reconnectAttempt + 1, 30);
    // Full jitter in the upper half: nodes that lost a provider together do not reconnect in step.
    const delayMs = base / 2 + Math.random() * (base / 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delayMs);
  }

  private openStreams(): void {
    const submitCall = this.client.submit();
    const reportsCall = this.client.reports();
    this.submitCall = submitCall;
    this.reportsCall = reportsCall;
    this.unreachable = false;

    submitCall.on('data', (response: SubmitResponse) => this.onAnswers(response));
    reportsCall.on('data', (batch: ReportBatch) => this.onReports(reportsCall, batch));
    for (const call of [submitCall, reportsCall] as const) {
      call.on('error', (error: Error) => this.onStreamEnd(call, error.message));
      call.on('end', () => this.onStreamEnd(call, 'stream ended by provider'));
    }
    this.client.getCapabilities({}, (error, capabilities) => {
      if (error || this.submitCall !== submitCall) return;
      this.providerCapabilities = {
        channels: capabilities.channels.map(fromProviderChannel).filter((c) => c !== null),
        maxTps: capabilities.maxTps,
        maxBodyBytes: capabilities.maxBodyBytes,
        maxInFlight: capabilities.maxInFlight,
      };
    });
    const waiters = this.connectedWaiters;
    this.connectedWaiters = [];
    for (const wake of waiters) wake();
  }

  private onAnswers(response: SubmitResponse): void {
    this.lastAnswerAtMs = Date.now();
    this.reconnectAttempt = 0;
    for (const result of response.results) {
      const entry = this.pending.get(result.messageId);
      if (entry === undefined) continue; // an answer after its stream was given up on, or a duplicate answer
      this.pending.delete(result.messageId);
      entry.batch.outcomes[entry.index] = toOutcome(result.outcome);
      if (--entry.batch.remaining === 0) entry.batch.resolve();
    }
    this.wakeWindowWaiters();
  }

  private onReports(call: ClientDuplexStream<ReportAck, ReportBatch>, batch: ReportBatch): void {
    const reports = batch.reports.map(fromWireReport).filter((r) => r !== null);
    const reportIds = batch.reports.map((r) => r.reportId);
    const ack = (): void => {
      // A stream that has since broken cannot carry the ack; the provider resends and the store drops the duplicates.
      if (this.reportsCall === call) call.write({ reportIds });
    };
    if (!this.reportQueue.push({ reports, ack })) call.pause();
  }

  private onStreamEnd(call: object, why: string): void {
    if (call !== this.submitCall && call !== this.reportsCall) return;
    this.dropStreams(`stream to provider "${this.id}" broke: ${why}`);
    this.scheduleReconnect();
  }

  /** Ends both streams and hands every unanswered message back as retryable. */
  private dropStreams(reason: string): void {
    const submitCall = this.submitCall;
    const reportsCall = this.reportsCall;
    this.submitCall = null;
    this.reportsCall = null;
    submitCall?.cancel();
    reportsCall?.cancel();
    for (const [, entry] of this.pending) {
      entry.batch.outcomes[entry.index] = { kind: 'rejected', code: 'STREAM_BROKEN', reason, retryable: true };
      if (--entry.batch.remaining === 0) entry.batch.resolve();
    }
    this.pending.clear();
    this.wakeWindowWaiters();
  }

  /** A provider that holds messages without answering anything is treated like a broken stream. */
  private checkStalled(): void {
    if (this.pending.size > 0 && Date.now() - this.lastAnswerAtMs > STALLED_STREAM_MS) {
      this.dropStreams(`provider "${this.id}" answered nothing for ${STALLED_STREAM_MS} ms`);
      this.scheduleReconnect();
    }
  }

  /** The open Submit stream, waiting up to connectTimeoutMs for one; null when none came. */
  private async waitForStream(signal: AbortSignal): Promise<ClientDuplexStream<SubmitRequest, SubmitResponse> | null> {
    if (this.submitCall !== null || this.closed || signal.aborted) return this.submitCall;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, this.settings.connectTimeoutMs);
      signal.addEventListener('abort', finish, { once: true });
      this.connectedWaiters.push(finish);
      function finish(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        resolve();
      }
    });
    if (this.submitCall === null && !signal.aborted && !this.closed) this.unreachable = true;
    return signal.aborted ? null : this.submitCall;
  }

  /** Waits until some of the window is free; returns how many messages may be written now (0 if the stream went away). */
  private async waitForWindow(wanted: number, signal: AbortSignal): Promise<number> {
    while (this.submitCall !== null && !signal.aborted) {
      const free = this.settings.window - this.pending.size;
      if (free > 0) return Math.min(wanted, free);
      await new Promise<void>((resolve) => {
        // The signal is usually the dispatcher's, alive as long as the node: a listener left on it
        // after a window wake-up would pile up for good, one per wait.
        const wake = (): void => {
          signal.removeEventListener('abort', wake);
          resolve();
        };
        signal.addEventListener('abort', wake, { once: true });
        this.windowWaiters.push(wake);
      });
    }
    return 0;
  }

  private wakeWindowWaiters(): void {
    if (this.windowWaiters.length === 0) return;
    const waiters = this.windowWaiters;
    this.windowWaiters = [];
    for (const wake of waiters) wake();
  }

  private wakeAll(): void {
    this.wakeWindowWaiters();
    const waiters = this.connectedWaiters;
    this.connectedWaiters = [];
    for (const wake of waiters) wake();
  }
}

function waitForDrain(call: ClientDuplexStream<SubmitRequest, SubmitResponse>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('close', done);
      call.off('error', done);
      resolve();
    };
    call.on('drain', done);
    call.on('close', done);
    call.on('error', done);
  });
}

function toWireMessage(message: OutboundMessage): ProviderMessage {
  return {
    messageId: message.messageId,
    channel: toProviderChannel(message.channel),
    recipient: message.recipient,
    sender: message.sender,
    subject: message.subject,
    body: message.body,
    attributes: message.attributes,
    expiresAtMs: message.expiresAtMs,
  };
}

function toOutcome(outcome: { $case: 'accepted'; value: { providerRef: string } } | { $case: 'rejected'; value: { code: string; reason: string; retryable: boolean } } | undefined): SubmitOutcome {
  if (outcome === undefined) {
    return { kind: 'rejected', code: 'PROTOCOL_ERROR', reason: 'provider answered without accepted or rejected', retryable: true };
  }
  if (outcome.$case === 'accepted') return { kind: 'accepted', providerRef: outcome.value.providerRef };
  return { kind: 'rejected', code: outcome.value.code, reason: outcome.value.reason, retryable: outcome.value.retryable };
}

function toDeliveryState(state: WireDeliveryState): DeliveryState | null {
  switch (state) {
    case WireDeliveryState.DELIVERY_STATE_DELIVERED:
      return 'delivered';
    case WireDeliveryState.DELIVERY_STATE_FAILED:
      return 'failed';
    case WireDeliveryState.DELIVERY_STATE_EXPIRED:
      return 'expired';
    default:
      return null;
  }
}

/** Parses one wire report; null for a report without an event or with an unknown state (nothing to apply). */
function fromWireReport(report: WireReport): ProviderReport | null {
  const event = report.event;
  if (event?.$case === 'delivery') {
    const state = toDeliveryState(event.value.state);
    if (state === null) return null;
    const d = event.value;
    return {
      reportId: report.reportId,
      delivery: { messageId: d.messageId, providerRef: d.providerRef, state, code: d.code, description: d.description, doneAtMs: d.doneAtMs },
      inbound: null,
    };
  }
  if (event?.$case === 'inbound') {
    const m = event.value;
    return {
      reportId: report.reportId,
      delivery: null,
      inbound: {
        channel: fromProviderChannel(m.channel),
        from: m.from,
        to: m.to,
        body: m.body,
        inReplyToMessageId: m.inReplyToMessageId,
        receivedAtMs: m.receivedAtMs,
      },
    };
  }
  return null;
}
