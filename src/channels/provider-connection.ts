import { connectivityState, type ClientDuplexStream } from '@grpc/grpc-js';
import type { ProviderLink } from './provider-credentials.js';
import type { GrpcProviderSettings } from '../config/config.js';
import { ChannelProviderClient, ChannelProviderService, type Capabilities } from '../gen/switchboard/provider/v1/provider.js';
import type { OutboundMessage, SubmitOutcome } from './provider-connector.js';
import { reconnectDelayMs } from './reconnect-delay.js';
import { decodeReportFrame, type ReportFrame } from './report-frame-codec.js';
import { decodeSubmitAnswers, encodeSubmitFrame, type SubmitAnswers } from './submit-frame-codec.js';

/** Where the answers to one submit() call's messages go: slot `index` of that call's outcomes. */
export interface AnswerSink {
  settle(index: number, outcome: SubmitOutcome): void;
}

/** One written message waiting for its answer: no closure per message, just where the answer goes. */
class PendingMessage {
  constructor(
    readonly sink: AnswerSink,
    readonly index: number,
    readonly expiresAtMs: number,
    readonly writtenAtMs: number,
  ) {}

  answer(outcome: SubmitOutcome): void {
    this.sink.settle(this.index, outcome);
  }
}

// Submit and Reports are opened with our own codecs (submit-frame-codec, report-frame-codec): the
// generated client's methods go through a ts-proto object per message. GetCapabilities stays generated.
const SUBMIT_PATH = ChannelProviderService.submit.path;
const REPORTS_PATH = ChannelProviderService.reports.path;

/** What a connection tells its pool. */
export interface ConnectionEvents {
  /** A Submit stream opened (or reopened). */
  onReady(connection: ProviderConnection): void;
  /** Window space was freed, or the connection went down: waiters should look again. */
  onChange(): void;
  /** The provider's GetCapabilities answer, once per stream. */
  onCapabilities(capabilities: Capabilities): void;
  /** A frame from the Reports stream; ack() acks all its reports, only while the stream that brought it is open. Returns false to pause the stream. */
  onReports(frame: ReportFrame, ack: () => void): boolean;
}

/** One Submit stream and what was written on it that is not answered yet. */
interface SubmitStream {
  readonly call: ClientDuplexStream<readonly OutboundMessage[], SubmitAnswers>;
  readonly pending: Map<string, PendingMessage>;
  /** Set while write() waits for 'drain': later writes wait behind it. */
  drained: Promise<void> | null;
}

/**
 * One HTTP/2 connection to a provider (its own grpc-js channel, never shared with the pool's other
 * connections), with a long-lived Submit stream and Reports stream. When the provider drains the
 * connection (GOAWAY) the streams are rotated: the old Submit stream is half-closed, its answers
 * still arrive, and new messages go on a fresh stream over a new connection. A stream that breaks
 * hands its unanswered messages back as retryable; a connection that leaves messages unanswered
 * past answerTimeout counts as stalled and is replaced.
 */
export class ProviderConnection {
  private client: ChannelProviderClient;
  private current: SubmitStream | null = null;
  /** Streams half-closed after a GOAWAY, still waiting for their answers. */
  private readonly retiring = new Set<SubmitStream>();
  /** Writes ReportAcks already encoded (ReportFrame.ack). */
  private reportsCall: ClientDuplexStream<Buffer, ReportFrame> | null = null;
  private connecting = false;
  /** The client whose channel state is being watched for a drain (one watch at a time). */
  private watched: ChannelProviderClient | null = null;
  private closed = false;
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** Messages written and not answered, over the current and retiring streams: what the window counts. */
  private unanswered = 0;
  /** Window slots the pool handed to a caller that has not sent on them yet (see hold()). */
  private held = 0;

  constructor(
    private readonly settings: GrpcProviderSettings,
    readonly index: number,
    private readonly events: ConnectionEvents,
    private readonly link: ProviderLink,
  ) {
    this.client = this.createClient();
    this.connect();
  }

  /** True while a Submit stream is open for new messages. */
  get ready(): boolean {
    return this.current !== null;
  }

  get inFlight(): number {
    return this.unanswered;
  }

  /** Window slots this lane may still use: non-urgent messages leave the urgent reserve free. */
  freeSlots(urgent: boolean): number {
    if (this.current === null) return 0;
    const reserved = urgent ? 0 : Math.floor(this.settings.window * this.settings.urgentReserve);
    return Math.max(0, this.settings.window - reserved - this.unanswered - this.held);
  }

  /**
   * Keeps `count` free slots for a caller of the pool's reserve(), until it sends on them or gives
   * them back with release(). reserve() resolves a promise: without this, callers woken by the
   * same event each saw the same free slots and together wrote more than the window.
   */
  hold(count: number): void {
    this.held += count;
  }

  /** Gives back `count` held slots, `used` of which the caller's send() is about to count; the rest may wake waiters. */
  release(count: number, used: number): void {
    this.held -= count;
    if (used < count) this.events.onChange();
  }

  /**
   * Registers the messages as in flight (synchronously, so the window count is right at once) and
   * writes them as one frame, waiting for 'drain' first when the stream is blocked. The answer to
   * `messages[i]` goes to `sink` as slot `indexes[i]`. Returns false when no stream is open:
   * nothing was registered.
   */
  send(messages: readonly OutboundMessage[], sink: AnswerSink, indexes: readonly number[], writtenAtMs: number): Promise<boolean> | false {
    const stream = this.current;
    if (stream === null) return false;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as OutboundMessage;
      stream.pending.set(message.messageId, new PendingMessage(sink, indexes[i] as number, message.expiresAtMs, writtenAtMs));
    }
    this.unanswered += messages.length;
    return this.write(stream, messages);
  }

  /** Answers TTL_EXPIRED for unanswered messages past their TTL, and replaces the connection when its oldest message waited past answerTimeout. */
  checkDeadlines(nowMs: number): void {
    let stalled = false;
    for (const stream of [...this.retiring, ...(this.current === null ? [] : [this.current])]) {
      let oldest = true;
      for (const [id, entry] of stream.pending) {
        if (oldest && nowMs - entry.writtenAtMs > this.settings.answerTimeoutMs) stalled = true;
        oldest = false;
        if (entry.expiresAtMs > 0 && entry.expiresAtMs <= nowMs) {
          stream.pending.delete(id);
          this.unanswered--;
          entry.answer({ kind: 'rejected', code: 'TTL_EXPIRED', reason: 'the provider did not answer before the message TTL ended', retryable: false });
        }
      }
    }
    if (stalled) {
      this.dropAll(`provider "${this.settings.id}" left a message unanswered for over ${this.settings.answerTimeoutMs} ms`);
      // The TCP connection itself may be what hangs: a new channel, not just new streams.
      this.client.close();
      this.client = this.createClient();
      this.scheduleReconnect();
    }
    this.events.onChange();
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.dropAll('connector closed');
    this.client.close();
  }

  private createClient(): ChannelProviderClient {
    return new ChannelProviderClient(this.settings.address, this.link.credentials, {
      ...this.link.options,
      // grpc-js shares one subchannel (one TCP connection) between clients with equal options and
      // target; a local pool per client keeps each pooled connection separate.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.keepalive_time_ms': this.settings.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': this.settings.keepaliveTimeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': this.settings.reconnectBackoffMs,
      'grpc.max_reconnect_backoff_ms': this.settings.maxReconnectBackoffMs,
    });
  }

  private connect(): void {
    if (this.closed || this.connecting) return;
    this.connecting = true;
    const client = this.client;
    client.waitForReady(Date.now() + this.settings.connectTimeoutMs, (error) => {
      this.connecting = false;
      if (this.closed || client !== this.client) return;
      if (error) this.scheduleReconnect();
      else this.openStreams();
    });
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== null) return;
    const delayMs = reconnectDelayMs(this.reconnectAttempt, this.settings.reconnectBackoffMs, this.settings.maxReconnectBackoffMs);
    this.reconnectAttempt = Math.min(this.reconnectAttempt + 1, 30);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delayMs);
  }

  private openStreams(): void {
    if (this.current !== null) return;
    const client = this.client;
    const stream: SubmitStream = { call: client.makeBidiStreamRequest(SUBMIT_PATH, encodeSubmitFrame, decodeSubmitAnswers), pending: new Map(), drained: null };
    this.current = stream;
    this.openReports(stream);

    stream.call.on('data', (answers: SubmitAnswers) => this.onAnswers(stream, answers));
    stream.call.on('error', (error: Error) => this.onSubmitEnd(stream, error.message));
    stream.call.on('end', () => this.onSubmitEnd(stream, 'stream ended by provider'));
    this.watchForDrain(client);
    client.getCapabilities({}, (error, capabilities) => {
      if (!error && this.current === stream) this.events.onCapabilities(capabilities);
    });
    this.events.onReady(this);
  }

  /** Opens the Reports stream that goes with a Submit stream; while that Submit stream lives, a broken Reports stream is reopened. */
  private openReports(stream: SubmitStream): void {
    const reportsCall = this.client.makeBidiStreamRequest(REPORTS_PATH, (ack: Buffer) => ack, decodeReportFrame);
    this.reportsCall = reportsCall;
    reportsCall.on('data', (frame: ReportFrame) => {
      // A stream that has since broken or rotated cannot carry the ack; the provider resends and the store drops duplicates.
      const ack = (): void => {
        if (this.reportsCall === reportsCall) reportsCall.write(frame.ack);
      };
      if (!this.events.onReports(frame, ack)) reportsCall.pause();
    });
    const ended = (): void => {
      if (this.reportsCall !== reportsCall) return;
      this.reportsCall = null;
      setTimeout(() => {
        if (this.current === stream && this.reportsCall === null && !this.closed) this.openReports(stream);
      }, this.settings.reconnectBackoffMs).unref();
    };
    reportsCall.on('error', ended);
    reportsCall.on('end', ended);
  }

  resumeReports(): void {
    this.reportsCall?.resume();
  }

  /**
   * A graceful GOAWAY (server drain, max connection age) moves the channel out of READY while our
   * streams still work: rotate them before the server's grace period ends, so nothing in flight
   * is lost or sent twice.
   */
  private watchForDrain(client: ChannelProviderClient): void {
    if (this.watched === client) return;
    this.watched = client;
    const channel = client.getChannel();
    const watch = (): void => {
      const state = channel.getConnectivityState(false);
      if (state !== connectivityState.READY) {
        if (this.watched === client) this.watched = null;
        this.onLeftReady(client);
        return;
      }
      channel.watchConnectivityState(state, Infinity, () => {
        if (client === this.client && !this.closed) watch();
      });
    };
    watch();
  }

  private onLeftReady(client: ChannelProviderClient): void {
    const stream = this.current;
    if (client !== this.client || stream === null) return;
    this.current = null;
    this.retiring.add(stream);
    // Half-close: the provider answers what it holds and then ends the stream.
    if (stream.pending.size === 0) this.finishRetiring(stream, 'rotated');
    else stream.call.end();
    const reportsCall = this.reportsCall;
    this.reportsCall = null;
    // The provider resends unacked reports on the new stream; the store drops the ones it already has.
    reportsCall?.cancel();
    this.events.onChange();
    this.connect();
  }

  private onAnswers(stream: SubmitStream, { messageIds, outcomes }: SubmitAnswers): void {
    this.reconnectAttempt = 0;
    const pending = stream.pending;
    for (let i = 0; i < messageIds.length; i++) {
      const messageId = messageIds[i] as string;
      const entry = pending.get(messageId);
      if (entry === undefined) continue; // answered already (TTL), or a duplicate answer
      pending.delete(messageId);
      this.unanswered--;
      entry.answer(outcomes[i] as SubmitOutcome);
    }
    if (this.retiring.has(stream) && stream.pending.size === 0) this.finishRetiring(stream, 'rotated');
    this.events.onChange();
  }

  private onSubmitEnd(stream: SubmitStream, why: string): void {
    if (this.retiring.has(stream)) {
      this.finishRetiring(stream, `stream to provider "${this.settings.id}" broke while draining: ${why}`);
      this.events.onChange();
      return;
    }
    if (stream !== this.current) return;
    this.current = null;
    this.failPending(stream, `stream to provider "${this.settings.id}" broke: ${why}`);
    stream.call.cancel();
    const reportsCall = this.reportsCall;
    this.reportsCall = null;
    reportsCall?.cancel();
    this.events.onChange();
    this.scheduleReconnect();
  }

  private finishRetiring(stream: SubmitStream, reason: string): void {
    this.retiring.delete(stream);
    this.failPending(stream, reason);
    stream.call.cancel();
  }

  /** Ends every stream and hands every unanswered message back as retryable. */
  private dropAll(reason: string): void {
    const streams = [...this.retiring, ...(this.current === null ? [] : [this.current])];
    this.current = null;
    this.retiring.clear();
    for (const stream of streams) {
      this.failPending(stream, reason);
      stream.call.cancel();
    }
    const reportsCall = this.reportsCall;
    this.reportsCall = null;
    reportsCall?.cancel();
    this.events.onChange();
  }

  private failPending(stream: SubmitStream, reason: string): void {
    const entries = [...stream.pending.values()];
    this.unanswered -= stream.pending.size;
    stream.pending.clear();
    for (const entry of entries) entry.answer({ kind: 'rejected', code: 'STREAM_BROKEN', reason, retryable: true });
  }

  private async write(stream: SubmitStream, messages: readonly OutboundMessage[]): Promise<boolean> {
    // Writes wait behind a blocked one, so the HTTP/2 buffer never holds more than the window.
    while (stream.drained !== null) await stream.drained;
    // Broken meanwhile: its pending were handed back. Rotated meanwhile: the half-closed stream takes no
    // more writes; its pending come back retryable when the provider ends it.
    if (!stream.call.writable || this.retiring.has(stream)) return true;
    if (!stream.call.write(messages)) {
      stream.drained = waitForDrain(stream.call).then(() => {
        stream.drained = null;
      });
      await stream.drained;
    }
    return true;
  }
}

function waitForDrain(call: ClientDuplexStream<readonly OutboundMessage[], SubmitAnswers>): Promise<void> {
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
