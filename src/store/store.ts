import type { AcceptedMessage, MessagePriority } from '../domain/message.js';
import type { MessageState } from '../domain/message-state.js';
import type { InboundEvent, StatusEvent } from '../domain/status-event.js';

/** What enqueue did with one message, in the order of the batch. */
export type EnqueueOutcome =
  | { readonly kind: 'accepted'; readonly messageId: string }
  /** The tenant's client_ref was accepted before; messageId is the original one. */
  | { readonly kind: 'duplicate'; readonly messageId: string }
  /** The queue is at its configured limit; nothing was stored. */
  | { readonly kind: 'queue-full' };

/** A message handed to the dispatcher, with how often it was handed out before. */
export interface ClaimedMessage {
  readonly message: AcceptedMessage;
  /** 1 on the first claim. */
  readonly deliveryCount: number;
}

/** A message's current state and history. */
export interface StatusRecord {
  readonly messageId: string;
  readonly tenant: string;
  readonly clientRef: string;
  readonly state: MessageState;
  readonly history: readonly StatusEvent[];
  readonly tags: readonly string[];
}

/** One entry of a tenant's report stream. */
export interface StoredReport {
  /** Opaque; pass to readReports to continue after this entry. */
  readonly cursor: string;
  readonly status: (StatusEvent & { readonly clientRef: string }) | null;
  readonly inbound: InboundEvent | null;
}

/** What recordEvents did with each event, in order. */
export type RecordOutcome = 'applied' | 'stale' | 'unknown-message' | 'duplicate';

/** A status event, optionally with a key that makes recording it idempotent (e.g. a provider report id). */
export interface EventToRecord {
  readonly event: StatusEvent;
  /** Events with a key already recorded are dropped; '' for none. */
  readonly dedupKey: string;
}

/**
 * The queue, the status records and the per-tenant report streams, behind one interface so the
 * memory store (embedded default) and the Redis store (durable, shared by many nodes) are
 * interchangeable. Every method works on batches; implementations make one round trip per call.
 */
export interface MessageStore {
  /**
   * Stores and queues a batch of validated messages, dropping those whose (tenant, clientRef) was
   * accepted within the dedup window. Resolves only once the batch is stored at the configured
   * durability; also records each accepted message's ACCEPTED event.
   */
  enqueue(batch: readonly AcceptedMessage[]): Promise<EnqueueOutcome[]>;

  /**
   * Hands out up to maxCount queued messages, urgent before normal before bulk. Waits until at
   * least one is available; resolves with [] when the signal aborts. `lanes` (default all) limits
   * the claim to some priorities: the dispatcher's urgent loop claims only urgent messages.
   */
  claim(maxCount: number, signal: AbortSignal, lanes?: readonly MessagePriority[]): Promise<ClaimedMessage[]>;

  /** Removes claimed messages from the queue for good: they reached a provider or a final state. */
  complete(messageIds: readonly string[]): Promise<void>;

  /** Puts claimed messages back in the queue, to be handed out again after delayMs. */
  retryLater(messages: readonly ClaimedMessage[], delayMs: number): Promise<void>;

  /**
   * Applies status events to the messages' records and appends them to their tenants' report
   * streams. The state machine is monotone: an event that would move a message backwards (or past
   * a final state) is not applied and comes back as 'stale'.
   */
  recordEvents(events: readonly EventToRecord[]): Promise<RecordOutcome[]>;

  /** Appends inbound messages to their tenants' report streams; a repeated dedupKey is dropped. */
  recordInbound(events: readonly { readonly event: InboundEvent; readonly dedupKey: string }[]): Promise<void>;

  /** The status of one message of a tenant; undefined when unknown or expired. */
  getStatus(tenant: string, messageId: string): Promise<StatusRecord | undefined>;

  /** The tenant that owns a message; undefined when unknown. */
  getTenantOf(messageId: string): Promise<string | undefined>;

  /**
   * Reads a tenant's reports after a cursor ('' = from now; 'oldest' = from the oldest retained).
   * Waits until at least one exists; resolves with [] when the signal aborts.
   */
  readReports(tenant: string, cursor: string, maxCount: number, signal: AbortSignal): Promise<StoredReport[]>;

  /** The cursor of the tenant's newest report, '' when none; lets a watcher start "from now". */
  latestCursor(tenant: string): Promise<string>;

  close(): Promise<void>;
}
