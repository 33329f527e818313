import type { ChannelName } from '../domain/channel.js';
import type { MessagePriority } from '../domain/message.js';

/** A rendered message ready for a provider. */
export interface OutboundMessage {
  readonly messageId: string;
  readonly channel: ChannelName;
  /** E.164. */
  readonly recipient: string;
  readonly sender: string;
  readonly subject: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** 0 for no limit. */
  readonly expiresAtMs: number;
  /** Segments the provider bills for this message: what a provider's TPS limit counts. */
  readonly billableUnits: number;
  /** Urgent messages may use the share of TPS and window kept from normal and bulk ones. */
  readonly priority: MessagePriority;
  /** ProviderMessage.idempotency_key (see supplier-idempotency-key.ts); '' without a client_ref. */
  readonly idempotencyKey: string;
}

/** A provider's answer to one message, decided at the edge: retryable says whether another try (here later, or elsewhere) can help. */
export type SubmitOutcome =
  | { readonly kind: 'accepted'; readonly providerRef: string }
  | { readonly kind: 'rejected'; readonly code: string; readonly reason: string; readonly retryable: boolean };

export type DeliveryState = 'delivered' | 'failed' | 'expired';

/** A delivery report or an inbound message from a provider. Exactly one of delivery/inbound is set. */
export interface ProviderReport {
  /** Unique per provider; used to drop reports resent after a reconnect. */
  readonly reportId: string;
  readonly delivery: {
    readonly messageId: string;
    readonly providerRef: string;
    readonly state: DeliveryState;
    readonly code: string;
    readonly description: string;
    readonly doneAtMs: number;
  } | null;
  readonly inbound: {
    readonly channel: ChannelName | null;
    readonly from: string;
    readonly to: string;
    readonly body: string;
    readonly inReplyToMessageId: string;
    readonly receivedAtMs: number;
  } | null;
}

/** Reports received together; ack() tells the provider they are stored and need not be resent. */
export interface ProviderReportBatch {
  readonly reports: readonly ProviderReport[];
  ack(): void;
}

export interface ProviderCapabilities {
  readonly channels: readonly ChannelName[];
  /** 0 when the provider states no limit. */
  readonly maxTps: number;
  readonly maxBodyBytes: number;
  readonly maxInFlight: number;
}

export type ConnectorKind = 'grpc' | 'smpp';

/** A connector's connection state as the selector and the operator's list see it. */
export interface ProviderLiveState {
  /** A stream to the supplier is open now. */
  readonly connected: boolean;
  /** False once connecting has failed for longer than connectTimeout: the selector skips it until a connection opens. */
  readonly reachable: boolean;
  /** Messages written and not yet answered. */
  readonly inFlight: number;
}

/** One supplier, as the dispatcher sees it. */
export interface ProviderConnector {
  /** The provider id from config, e.g. "kt-sms-primary". */
  readonly id: string;
  readonly kind: ConnectorKind;
  /**
   * True when its delivery reports may come with messageId '' and only the provider's reference
   * (an SMSC's receipt for an id this connector no longer knows, e.g. after a restart): the
   * dispatcher then indexes each accepted message by (provider, reference) in the store, and the
   * report ingest looks such reports up there.
   */
  readonly reportsByRef?: boolean;
  /** What the provider carries: from config, refined by the provider's own GetCapabilities answer once connected. */
  capabilities(): ProviderCapabilities;
  /**
   * Sends a batch and resolves with one outcome per message, in the same order, once the provider
   * answered each one. A message the provider never got (not connected, stream broken before the
   * answer) comes back rejected with retryable = true. The signal stops waiting for a connection
   * or window space; messages already written are still waited for. A message whose expiresAtMs
   * has passed is never sent: it comes back rejected, not retryable, with code TTL_EXPIRED.
   */
  submit(batch: readonly OutboundMessage[], signal: AbortSignal): Promise<SubmitOutcome[]>;
  /** Delivery reports and inbound messages, as they arrive, across reconnects. Ends on close(). */
  reports(): AsyncIterable<ProviderReportBatch>;
  /** Connection state now, cheap enough to read per message. */
  liveState(): ProviderLiveState;
  /** Stops reconnecting, fails what waits, closes the connection. */
  close(): Promise<void>;
}
