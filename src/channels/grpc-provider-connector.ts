import type { GrpcProviderSettings } from '../config/config.js';
import {
  DeliveryState as WireDeliveryState,
  type ProviderMessage,
  type ProviderReport as WireReport,
  type ReportBatch,
} from '../gen/switchboard/provider/v1/provider.js';
import { ConnectionPool } from './connection-pool.js';
import { fromProviderChannel, toProviderChannel } from './provider-channel.js';
import type { PendingMessage } from './provider-connection.js';
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
import { takeTokens, type RateLimiter } from './rate-limiter.js';
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
    const outcomes: SubmitOutcome[] = new Array(batch.length);
    let remaining = batch.length;
    let resolveBatch!: () => void;
    const done = new Promise<void>((resolve) => (resolveBatch = resolve));
    const settle = (index: number, outcome: SubmitOutcome): void => {
      outcomes[index] = outcome;
      if (--remaining === 0) resolveBatch();
    };

    // Urgent first: the caller's batch is claimed urgent before normal before bulk, but keep it sure.
    const order = batch.map((_, i) => i).sort((a, b) => rank(batch[a] as OutboundMessage) - rank(batch[b] as OutboundMessage));
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
        const messages: ProviderMessage[] = [];
        const pending: PendingMessage[] = [];
        for (const i of order.slice(next, next + slots.count)) {
          const message = batch[i] as OutboundMessage;
          if (message.expiresAtMs > 0 && message.expiresAtMs <= nowMs) {
            settle(i, { kind: 'rejected', code: 'TTL_EXPIRED', reason: 'the message TTL passed while it waited for the provider', retryable: false });
            continue;
          }
          messages.push(toWireMessage(message));
          pending.push({ answer: (outcome) => settle(i, outcome), expiresAtMs: message.expiresAtMs, writtenAtMs: nowMs });
        }
        if (messages.length > 0) {
          const sent = slots.connection.send(messages, pending);
          if (sent === false) {
            // The stream went away between reserve and send: nothing was written, so another try can only help.
            for (const p of pending) p.answer({ kind: 'rejected', code: 'STREAM_BROKEN', reason: `provider "${this.id}" stream closed before the write`, retryable: true });
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
      for (const i of order.slice(next)) settle(i, { kind: 'rejected', code, reason, retryable: true });
    }
    if (remaining > 0) await done;
    return outcomes;
  }

  reports(): AsyncIterable<ProviderReportBatch> {
    return this.reportQueue;
  }

  async close(): Promise<void> {
    this.pool.close();
    this.reportQueue.close();
    await this.rateLimiter?.close();
  }

  private onReports(batch: ReportBatch, ack: (reportIds: string[]) => void): boolean {
    const reports = batch.reports.map(fromWireReport).filter((r) => r !== null);
    const reportIds = batch.reports.map((r) => r.reportId);
    return this.reportQueue.push({ reports, ack: () => ack(reportIds) });
  }
}

function rank(message: OutboundMessage): number {
  return message.priority === 'urgent' ? 0 : 1;
}

function unreachable(id: string): [string, string] {
  return ['PROVIDER_UNREACHABLE', `provider "${id}" has been unreachable since its last connect timeout; not waiting for it`];
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
