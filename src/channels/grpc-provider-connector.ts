import type { GrpcProviderSettings } from '../config/config.js';
import { ConnectionPool } from './connection-pool.js';
import { fromProviderChannel } from './provider-channel.js';
import type { AnswerSink } from './provider-connection.js';
import type { OutboundMessage, ProviderCapabilities, ProviderLiveState, ProviderConnector, ProviderReportBatch, SubmitOutcome } from './provider-connector.js';
import { takeTokens, type RateLimiter } from './rate-limiter.js';
import type { ReportFrame } from './report-frame-codec.js';
import { ReportQueue } from './report-queue.js';
import { TokenBucket } from './token-bucket.js';

/** Report frames buffered before the Reports streams are paused (back-pressure to the provider). */
const REPORT_QUEUE_HIGH_WATER = 64;

export interface GrpcConnectorOptions {
  /** The provider's TPS limit; by default a local token bucket when settings.tps > 0. */
  readonly rateLimiter?: RateLimiter | null;
}

/**
 * Connects to one supplier's ChannelProvider server over a pool of `connections` HTTP/2
 * connections, each with a long-lived Submit stream (windowed: at most `window` messages
 * unanswered) and Reports stream. Submits are paced by the provider's TPS limit in billable
 * units; urgent messages may use a reserved share of the TPS and of each window. A broken stream
 * hands its unanswered messages back as retryable and its connection reconnects with backoff.
 */
export class GrpcProviderConnector implements ProviderConnector {
  readonly kind = 'grpc' as const;
  readonly id: string;
  private readonly pool: ConnectionPool;
  private readonly reportQueue: ReportQueue<ProviderReportBatch>;
  private readonly rateLimiter: RateLimiter | null;
  private providerCapabilities: ProviderCapabilities;

  constructor(settings: GrpcProviderSettings, options: GrpcConnectorOptions = {}) {
    this.id = settings.id;
    this.providerCapabilities = { channels: settings.channels, maxTps: settings.tps, maxBodyBytes: 0, maxInFlight: settings.window };
    this.rateLimiter = options.rateLimiter !== undefined ? options.rateLimiter : settings.tps > 0 ? new TokenBucket(settings.tps, settings.urgentReserve) : null;
    this.reportQueue = new ReportQueue(REPORT_QUEUE_HIGH_WATER, () => this.pool.resumeReports());
    this.pool = new ConnectionPool(settings, {
      onCapabilities: (capabilities) => {
        this.providerCapabilities = {
          channels: capabilities.channels.map(fromProviderChannel).filter((c) => c !== null),
          maxTps: capabilities.maxTps,
          maxBodyBytes: capabilities.maxBodyBytes,
          maxInFlight: capabilities.maxInFlight,
        };
      },
      onReports: (batch, ack) => this.onReports(batch, ack),
    });
  }

  capabilities(): ProviderCapabilities {
    return this.providerCapabilities;
  }

  liveState(): ProviderLiveState {
    return { connected: this.pool.ready, reachable: !this.pool.failFast, inFlight: this.pool.inFlight };
  }

  /** Connections with an open Submit stream, and messages written and not answered yet. */
  connectionState(): { readonly connected: number; readonly connections: number; readonly inFlight: number } {
    return { connected: this.pool.connections.filter((c) => c.ready).length, connections: this.pool.connections.length, inFlight: this.pool.inFlight };
  }

  async submit(batch: readonly OutboundMessage[], signal: AbortSignal): Promise<SubmitOutcome[]> {
    const answers = new SubmitBatch(batch.length);
    // Urgent first: the caller's batch is claimed urgent before normal before bulk, but keep it sure.
    const order = urgentFirst(batch);
    let next = 0;
    const refusal: [string, string] | null = this.pool.failFast ? unreachable(this.id) : null;
    while (next < order.length && refusal === null) {
      const urgent = (batch[order[next] as number] as OutboundMessage).priority === 'urgent';
      let laneEnd = next;
      while (laneEnd < order.length && ((batch[order[laneEnd] as number] as OutboundMessage).priority === 'urgent') === urgent) laneEnd++;
      let allowed = laneEnd - next;
      if (this.rateLimiter !== null) {
        const units = order.slice(next, laneEnd).map((i) => Math.max(1, (batch[i] as OutboundMessage).billableUnits));
        allowed = await takeTokens(this.rateLimiter, units, urgent, signal);
        if (allowed === 0) break;
      }
      const end = next + allowed;
      while (next < end) {
        const slots = await this.pool.reserve(end - next, urgent, signal);
        if (slots === null) break;
        // A message can outlive its TTL while it waits for tokens, a connection or window: never send it late.
        const nowMs = Date.now();
        const messages: OutboundMessage[] = [];
        const indexes: number[] = [];
        for (let k = next; k < next + slots.count; k++) {
          const i = order[k] as number;
          const message = batch[i] as OutboundMessage;
          if (message.expiresAtMs > 0 && message.expiresAtMs <= nowMs) {
            answers.settle(i, { kind: 'rejected', code: 'TTL_EXPIRED', reason: 'the message TTL passed while it waited for the provider', retryable: false });
            continue;
          }
          messages.push(message);
          indexes.push(i);
        }
        // Back to the window's count just before send() counts what is written (nothing runs in between).
        slots.connection.release(slots.count, messages.length);
        if (messages.length > 0) {
          const sent = slots.connection.send(messages, answers, indexes, nowMs);
          if (sent === false) {
            // The stream went away between reserve and send: nothing was written, so another try can only help.
            for (const i of indexes) answers.settle(i, { kind: 'rejected', code: 'STREAM_BROKEN', reason: `provider "${this.id}" stream closed before the write`, retryable: true });
          } else {
            await sent;
          }
        }
        next += slots.count;
      }
      if (next < end) break;
    }
    // Whatever could not be written goes back to the caller for a later try.
    if (next < order.length) {
      const [code, reason] = refusal ?? ['UNAVAILABLE', signal.aborted ? 'submit cancelled' : `provider "${this.id}" is not connected`];
      for (const i of order.slice(next)) answers.settle(i, { kind: 'rejected', code, reason, retryable: true });
    }
    return answers.done();
  }

  reports(): AsyncIterable<ProviderReportBatch> {
    return this.reportQueue;
  }

  async close(): Promise<void> {
    this.pool.close();
    this.reportQueue.close();
    await this.rateLimiter?.close();
  }

  private onReports(frame: ReportFrame, ack: () => void): boolean {
    return this.reportQueue.push({ reports: frame.reports, ack });
  }
}

/**
 * One submit() call's outcomes, filled in by index as answers come (from the provider, or from
 * here for messages never written); done() resolves once every message has one.
 */
class SubmitBatch implements AnswerSink {
  readonly outcomes: SubmitOutcome[];
  private remaining: number;
  private resolve: ((outcomes: SubmitOutcome[]) => void) | null = null;

  constructor(size: number) {
    this.outcomes = new Array<SubmitOutcome>(size);
    this.remaining = size;
  }

  settle(index: number, outcome: SubmitOutcome): void {
    this.outcomes[index] = outcome;
    if (--this.remaining === 0) this.resolve?.(this.outcomes);
  }

  done(): Promise<SubmitOutcome[]> {
    if (this.remaining === 0) return Promise.resolve(this.outcomes);
    return new Promise((resolve) => (this.resolve = resolve));
  }
}

/** The batch's indexes, urgent messages first, each lane in its original order. */
function urgentFirst(batch: readonly OutboundMessage[]): number[] {
  const order: number[] = [];
  for (let i = 0; i < batch.length; i++) if ((batch[i] as OutboundMessage).priority === 'urgent') order.push(i);
  for (let i = 0; i < batch.length; i++) if ((batch[i] as OutboundMessage).priority !== 'urgent') order.push(i);
  return order;
}

function unreachable(id: string): [string, string] {
  return ['PROVIDER_UNREACHABLE', `provider "${id}" has been unreachable since its last connect timeout; not waiting for it`];
}
