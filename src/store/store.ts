import type { ChannelName } from '../domain/channel.js';
import type { AcceptedMessage, MessagePriority } from '../domain/message.js';
import type { MessageState } from '../domain/message-state.js';
import type { InboundEvent, StatusEvent } from '../domain/status-event.js';

/** What enqueue did with one message, in the order of the batch. */
export type EnqueueOutcome =
  | { readonly kind: 'accepted'; readonly messageId: string }
  /** The tenant's client_ref was accepted before for this message (a retry); messageId is the original one. */
  | { readonly kind: 'duplicate'; readonly messageId: string }
  /**
   * The tenant's client_ref was accepted before for a different message (see clientRefFingerprint);
   * messageId is that message's id. Nothing was stored.
   */
  | { readonly kind: 'conflict'; readonly messageId: string }
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
  /** The recorded events, in the order of the state machine (see MessageStore.recordEvents). */
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

/** A message's history stops taking stale events at this length, so a chatty supplier cannot grow it without bound. */
export const MAX_HISTORY_EVENTS = 32;

/** What recordEvents did with each event, in order. */
export type RecordOutcome = 'applied' | 'stale' | 'unknown-message' | 'duplicate';

/** A status event, optionally with a key that makes recording it idempotent (e.g. a provider report id). */
export interface EventToRecord {
  readonly event: StatusEvent;
  /** Events with a key already recorded are dropped; '' for none. */
  readonly dedupKey: string;
  /** Kept in the history as a stale event, never applied (a late report of an attempt the message moved on from). */
  readonly historyOnly?: boolean;
}

/**
 * What a message sent on one channel of a chain needs to move on to the next one when a delivery
 * report says it failed: the message as accepted (content, variables) and where it is in its chain.
 * Kept from before the submit until the message is final (or its status retention ends).
 */
export interface FallbackPlan {
  readonly message: AcceptedMessage;
  /** The channel in flight. */
  readonly channel: ChannelName;
  /** The channels after it, in order; [] on the last channel (the plan then only guards against stale reports). */
  readonly next: readonly ChannelName[];
  /** 0 on the chain's first channel. */
  readonly step: number;
  readonly routeName: string;
}

/** One failed delivery report to match against a fallback plan: `attempt` names the submission it is about. */
export interface FailedAttempt {
  readonly messageId: string;
  /** providerId and providerRef of the submission, e.g. "kakao\u0000ref-17". */
  readonly attempt: string;
}

/**
 * What takeFallbackPlans found for one failed attempt:
 * - 'none': no plan is kept for the message (not on a chain, or already final): record the report as it is;
 * - 'superseded': a failure of this same attempt was taken before (a resent report whose move is
 *   stored, or a report of an earlier channel of the chain): drop it;
 * - a plan: this report is the first about this attempt; the plan is now taken (the next step keeps its own).
 */
export type FallbackTake =
  | { readonly kind: 'none' }
  | { readonly kind: 'superseded' }
  | { readonly kind: 'plan'; readonly plan: FallbackPlan }
  /** settleAttempts only: the first final report of an attempt whose report deadline passed (the message moved on). */
  | { readonly kind: 'late' };

/** A submitted attempt that must get its final delivery report by dueMs, or the message moves on (report-driven failover). */
export interface ReportDeadline {
  readonly messageId: string;
  /** As in FailedAttempt: providerId and providerRef of the submission. */
  readonly attempt: string;
  readonly dueMs: number;
}

/** A deadline that passed without a final report; its message's plan is taken (see takeOverdueAttempts). */
export interface OverdueAttempt {
  readonly messageId: string;
  readonly attempt: string;
  readonly dueMs: number;
  readonly plan: FallbackPlan;
}

/** A final delivery report to settle against its message's plan and report deadline (see settleAttempts). */
export interface SettledAttempt extends FailedAttempt {
  /** FAILED: the plan is taken for a move; other final states only mark the attempt as done. */
  readonly failed: boolean;
  /**
   * The supplier's id of the report ('' when it gave none). The same report sent again before the
   * move it started was finished (finishMoves) takes the plan again: the node that took it may have
   * died with the report unacked, and the supplier resends it.
   */
  readonly reportId: string;
}

/** A submitted message by its supplier's reference, for reports that carry only that (see MessageStore.keepProviderRefs). */
export interface ProviderRef {
  readonly providerId: string;
  readonly providerRef: string;
  readonly messageId: string;
}

/**
 * The queue, the status records and the per-tenant report streams, behind one interface so the
 * memory store (embedded default) and the Redis store (durable, shared by many nodes) are
 * interchangeable. Every method works on batches; implementations make one round trip per call.
 */
export interface MessageStore {
  /**
   * Stores and queues a batch of validated messages, dropping those whose (tenant, clientRef) was
   * accepted within the dedup window: as duplicates when they are the same message, as conflicts
   * when they are not (clientRefFingerprint). Resolves only once the batch is stored at the configured
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
   * a final state) is not applied and comes back as 'stale'. A stale event is still kept in the
   * message's history (a late report from a first supplier, a submit answer that lost the race to
   * its own delivery report), but not reported, and not when it repeats the current state, is
   * ACCEPTED, DEFERRED or FALLBACK (stale only on a final message: a move that did not happen), or
   * once the history holds MAX_HISTORY_EVENTS events. An overtaken
   * non-final event goes in before the final one, so histories read in state-machine order.
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

  /**
   * Keeps (or replaces) each message's fallback plan, until taken or the status retention ends.
   * Attempts already taken stay marked (see takeFallbackPlans).
   */
  keepFallbackPlans(plans: readonly FallbackPlan[]): Promise<void>;

  /**
   * For each failed attempt, atomically: marks the attempt as taken and takes the message's plan.
   * The same attempt taken again comes back 'superseded', so a repeated failure report causes at
   * most one fallback, also across gateway nodes.
   */
  takeFallbackPlans(failures: readonly FailedAttempt[]): Promise<FallbackTake[]>;

  /**
   * Queues messages again (completed before, e.g. after their channel failed) to be handed out
   * after delayMs as new deliveries. Not counted against the queue limit: they were admitted once.
   */
  requeueFallbacks(messages: readonly AcceptedMessage[], delayMs: number): Promise<void>;

  /**
   * For claimed messages moving on to the next channel of their chain (their channel refused them
   * for good at submit), in one atomic step per shard: ends each one's claim and queues the moved
   * message (same id) as a new delivery, handed out at once. As two calls (complete, then
   * requeueFallbacks), a node that died between them lost the message: claim ended, nothing
   * queued. A message whose claim is no longer open (completed or put back already) is not queued.
   */
  completeAsFallbacks(moved: readonly AcceptedMessage[]): Promise<void>;

  /**
   * Keeps report deadlines (one per submitted attempt of a channel with a report timeout), until
   * settled by the attempt's final report or taken as overdue.
   */
  keepReportDeadlines(deadlines: readonly ReportDeadline[]): Promise<void>;

  /**
   * For each final delivery report, atomically: drops the attempt's report deadline; the first
   * report of an attempt taken as overdue comes back 'late'; an attempt marked before otherwise (a
   * resent report, or a report of a channel the message moved on from) comes back 'superseded',
   * except the report that took the plan, sent again before its move was finished: it gets the
   * same plan again; otherwise marks it, and for a FAILED report takes the message's plan like
   * takeFallbackPlans ('plan' or 'none'), held for that report until finishMoves; other states
   * give 'none'.
   */
  settleAttempts(reports: readonly SettledAttempt[]): Promise<FallbackTake[]>;

  /**
   * Takes up to maxCount deadlines due at nowMs, each once across all nodes: the attempt is marked
   * (so its first late report is 'late') and the message's plan taken. Deadlines of attempts
   * already settled, or of messages without a plan, are dropped. One round trip per shard.
   * A taken deadline is handed out again (with the same plan) after leaseMs unless
   * finishMoves was called for it or its late report came: the node that took it may
   * have died before the move was stored.
   */
  takeOverdueAttempts(nowMs: number, maxCount: number, leaseMs: number): Promise<OverdueAttempt[]>;

  /**
   * Marks moves as stored, so nothing hands their plans out again: ends the lease of taken
   * deadlines (see takeOverdueAttempts) and the hold of a report on the plan it took (see
   * settleAttempts).
   */
  finishMoves(moves: readonly { readonly messageId: string; readonly attempt: string }[]): Promise<void>;

  /** Indexes submitted messages by (providerId, providerRef) for the status retention. */
  keepProviderRefs(refs: readonly ProviderRef[]): Promise<void>;

  /** The message ids of a supplier's references, in order; '' for a reference not indexed (or expired). */
  findByProviderRefs(providerId: string, providerRefs: readonly string[]): Promise<string[]>;

  close(): Promise<void>;
}
