import type { Config } from '../config/config.js';
import type { ChannelName } from '../domain/channel.js';
import { maskPhoneNumbers } from '../domain/mask-phone-numbers.js';
import type { ChooseProvider } from '../channels/provider-choice.js';
import type { OutboundMessage, ProviderConnector, SubmitOutcome } from '../channels/provider-connector.js';
import type { MessagePriority } from '../domain/message.js';
import type { StatusEvent } from '../domain/status-event.js';
import { supplierIdempotencyKey } from '../domain/supplier-idempotency-key.js';
import { log } from '../log.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Router } from '../router/router.js';
import type { RouteResult } from '../router/route-types.js';
import type { OptOutList } from '../store/opt-out-list.js';
import type { ClaimedMessage, EventToRecord, FallbackPlan, MessageStore, ProviderRef, ReportDeadline } from '../store/store.js';
import type { AcceptedMessage } from '../domain/message.js';
import type { BulkTurnBudget } from './bulk-turn-budget.js';
import { attemptOf, fallBack } from './fall-back.js';
import { RoutedWhyCache } from './routed-why-cache.js';

export interface DispatcherDeps {
  readonly store: MessageStore;
  /** Advertising to a number on its tenant's opt-out list fails with RECIPIENT_OPTED_OUT. */
  readonly optOuts: OptOutList;
  readonly config: () => Config;
  readonly router: () => Router;
  readonly connectors: ReadonlyMap<string, ProviderConnector>;
  /** Picks the supplier of a channel for each message, first and on failover. */
  readonly chooseProvider: ChooseProvider;
  /** Each provider batch's answers, for supplier health (breaker, adaptive weights); messageIds[i] is outcomes[i]'s message. */
  readonly onProviderAnswers?: (providerId: string, outcomes: readonly SubmitOutcome[], messageIds: readonly string[]) => void;
  readonly metrics: GatewayMetrics;
  /** The wall clock: expiry and routing (the advertising night window) are decided on it. */
  readonly now: () => number;
  /** Event-loop time for bulk work per turn; every loop but the urgent-only one asks before it dispatches a batch. */
  readonly bulkTurns?: BulkTurnBudget;
}

const NONE_TRIED: ReadonlySet<string> = new Set();
const URGENT_ONLY: readonly MessagePriority[] = ['urgent'];
const NO_ANSWER: RouteResult = { outcome: 'failed', code: 'NO_ROUTE', reason: 'the router gave no answer' };

/** A message routed to a provider, waiting for that provider's answer. */
interface Routed {
  readonly claimed: ClaimedMessage;
  readonly outbound: OutboundMessage;
  readonly providerId: string;
  readonly billableUnits: number;
  /** Set when the message is on a chain (more channels after this one, or a fallback step). */
  readonly plan: FallbackPlan | null;
  /** Why this supplier, when it is not the one ROUTED named (failover in this pass); '' otherwise. */
  readonly failoverWhy: string;
}

/**
 * Moves messages from the queue to providers: claim a batch, route it (one router task per batch),
 * submit each provider's share as one batch, record the outcomes, and complete or retry. Runs
 * `dispatcher.concurrency` such loops so one slow provider batch does not hold the others.
 */
export class Dispatcher {
  private readonly stopController = new AbortController();
  private loops: Promise<void>[] = [];
  private readonly routedWhys = new RoutedWhyCache();

  constructor(private readonly deps: DispatcherDeps) {}

  start(): void {
    const { concurrency } = this.deps.config().dispatcher;
    for (let i = 0; i < concurrency; i++) this.loops.push(this.loop());
    // One more loop for urgent messages only: when every other loop waits on a throttled supplier
    // with a bulk batch, an OTP is still claimed at once and sent on the supplier's urgent reserve.
    this.loops.push(this.loop(URGENT_ONLY));
  }

  /** Stops claiming and waits for batches in progress to finish. */
  async stop(): Promise<void> {
    this.stopController.abort();
    await Promise.all(this.loops);
  }

  private async loop(lanes?: readonly MessagePriority[]): Promise<void> {
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      const batch = await this.deps.store.claim(this.deps.config().router.batchSize, signal, lanes).catch((error: unknown) => {
        log('error', 'claiming from the store failed', { error: (error as Error).message });
        return sleep(1000).then(() => [] as ClaimedMessage[]);
      });
      if (batch.length === 0) continue;
      if (lanes !== URGENT_ONLY && this.deps.bulkTurns !== undefined) await this.deps.bulkTurns.waitForTurn();
      try {
        await this.dispatch(batch);
      } catch (error) {
        log('error', 'dispatching a batch failed; it will be retried', { count: batch.length, error: (error as Error).stack });
        await this.deps.store.retryLater(batch, this.deps.config().dispatcher.retryBackoffMs).catch(() => {});
      }
    }
  }

  private async dispatch(batch: readonly ClaimedMessage[]): Promise<void> {
    const { store, connectors } = this.deps;
    const nowMs = this.deps.now();
    const events: EventToRecord[] = [];
    const done: string[] = [];

    const optedOut = await this.findOptedOut(batch);
    const live: ClaimedMessage[] = [];
    for (const claimed of batch) {
      const m = claimed.message;
      if (m.expiresAtMs <= nowMs) {
        events.push(record(event(claimed, nowMs, 'expired', { code: 'TTL_EXPIRED', reason: 'the message TTL passed before it could be sent' })));
        done.push(m.messageId);
      } else if (m.kind === 'advertising' && optedOut.get(m.tenant)?.has(m.recipient) === true) {
        const reason = `the recipient is on tenant "${m.tenant}"'s advertising opt-out list`;
        events.push(record(event(claimed, nowMs, 'failed', { code: 'RECIPIENT_OPTED_OUT', reason })));
        done.push(m.messageId);
      } else {
        live.push(claimed);
      }
    }

    // A stored message is a route request as it is (the worker hand-off encodes only the fields it needs): no copy per message.
    const results = await this.deps.router().route(live.map((c) => c.message), nowMs);
    // Read once per batch: a reload mid-batch applies from the next batch.
    const { reportTimeoutsMs, retryElsewhereCodes } = this.deps.config().routing;
    const byProvider = new Map<string, Routed[]>();
    /** Routed to a channel none of whose suppliers can be used now: put back for a later try. */
    const retryNow: ClaimedMessage[] = [];
    /** How many of those per channel: one log line per channel per batch, not one per message. */
    const unplaced = new Map<ChannelName, number>();
    /** Held messages by the time they may go; a batch routed at one instant has one or two such times. */
    const deferred = new Map<number, ClaimedMessage[]>();
    const plans: FallbackPlan[] = [];
    /** Messages whose channel failed, moving on to the next channel of their chain: queued again once completed. */
    const fallbacks: AcceptedMessage[] = [];
    for (let i = 0; i < live.length; i++) {
      const claimed = live[i] as ClaimedMessage;
      const result = results[i] ?? NO_ANSWER;
      if (result.outcome === 'failed') {
        events.push(record(event(claimed, nowMs, 'failed', { code: result.code, reason: result.reason })));
        done.push(claimed.message.messageId);
        continue;
      }
      if (result.outcome === 'deferred') {
        // Expiry wins: a message that would expire before it may go is EXPIRED now, not held to fail later.
        if (claimed.message.expiresAtMs <= result.deferUntilMs) {
          const reason = `the message TTL ends before it may be sent (${result.reason})`;
          events.push(record(event(claimed, nowMs, 'expired', { code: 'TTL_EXPIRED', reason })));
          done.push(claimed.message.messageId);
        } else {
          let group = deferred.get(result.deferUntilMs);
          if (group === undefined) deferred.set(result.deferUntilMs, (group = []));
          group.push(claimed);
          // Recorded when the hold starts; the checks that follow are stale repeats and change nothing.
          events.push(record(event(claimed, nowMs, 'deferred', { code: 'NIGHT_WINDOW', reason: result.reason })));
        }
        continue;
      }
      const m = claimed.message;
      const outbound: OutboundMessage = {
        messageId: m.messageId,
        channel: result.channel,
        recipient: m.recipient,
        sender: m.sender,
        subject: result.subject,
        body: result.body,
        attributes: result.attributes,
        expiresAtMs: m.expiresAtMs,
        billableUnits: result.billableUnits,
        priority: m.priority,
        idempotencyKey: supplierIdempotencyKey(m, result.channel),
      };
      const { billableUnits } = result;
      const choice = this.deps.chooseProvider(result.channel, m.recipient, triedOn(m, result.channel));
      if (choice === undefined) {
        const reason = `no provider of channel "${result.channel}" can take messages now (none configured, or every one drained, unreachable or tripped)`;
        events.push(record(event(claimed, nowMs, 'routed', { channel: result.channel, billableUnits, why: `${result.why}; ${reason}` })));
        retryNow.push(claimed);
        unplaced.set(result.channel, (unplaced.get(result.channel) ?? 0) + 1);
        continue;
      }
      const why = this.routedWhys.get(result.why, choice.providerId, choice.why);
      events.push(record(event(claimed, nowMs, 'routed', { channel: result.channel, providerId: choice.providerId, billableUnits, why })));
      // On a chain, what a failed delivery report needs to move the message on is kept before the submit (a report may beat its answer).
      // Report-driven failover needs it too, on a channel with a report timeout or codes retryable elsewhere.
      const watched = reportTimeoutsMs[result.channel] !== undefined || retryElsewhereCodes[result.channel] !== undefined;
      const plan: FallbackPlan | null =
        result.next.length > 0 || result.step > 0 || watched ? { message: m, channel: result.channel, next: result.next, step: result.step, routeName: result.routeName } : null;
      if (plan !== null) plans.push(plan);
      let group = byProvider.get(choice.providerId);
      if (group === undefined) byProvider.set(choice.providerId, (group = []));
      group.push({ claimed, outbound, providerId: choice.providerId, billableUnits, plan, failoverWhy: '' });
    }
    for (const [channel, count] of unplaced) {
      log('warn', `no provider of channel "${channel}" can take messages now (none configured, or every one drained, unreachable or tripped); they wait in the queue`, { channel, count });
    }
    // ROUTED is recorded before the submit, so a message waiting on a slow supplier shows where it
    // went (one store call per batch; the answers' SUBMITTED follow in another). Fallback plans too:
    // a failed delivery report needs its plan however fast it comes.
    await store.recordEvents(events);
    events.length = 0;
    if (plans.length > 0) await store.keepFallbackPlans(plans);
    for (const [deferUntilMs, held] of deferred) await this.deferUntil(held, deferUntilMs, nowMs);

    const retry: ClaimedMessage[] = retryNow;
    const signal = this.stopController.signal;
    // Failover: a message a supplier could not take (retryable: refused for now, not connected, or
    // lost in a broken stream) goes to the next supplier of its channel in this same pass. Only
    // when every supplier of the channel has refused it is it put back for a later try.
    const tried = new Map<string, Set<string>>();
    const deadlines: ReportDeadline[] = [];
    const refs: ProviderRef[] = [];
    for (let round = byProvider; round.size > 0; ) {
      const next = new Map<string, Routed[]>();
      await Promise.all(
        [...round].map(async ([providerId, group]) => {
          const connector = connectors.get(providerId);
          const outcomes: SubmitOutcome[] =
            connector === undefined
              ? // Routed on a config that a reload has since replaced: routed again on the new one.
                group.map(() => ({ kind: 'rejected', code: 'NO_PROVIDER', reason: `provider "${providerId}" is not configured any more`, retryable: true }))
              : // On stop, messages not yet written come back retryable; written ones still get their answers.
                await connector.submit(
                  group.map((r) => r.outbound),
                  signal,
                );
          const submittedAtMs = this.deps.now();
          this.countAnswers(providerId, outcomes);
          if (connector !== undefined) this.deps.onProviderAnswers?.(providerId, outcomes, group.map((r) => r.outbound.messageId));
          group.forEach((routed, i) => {
            const outcome = outcomes[i] ?? { kind: 'rejected', code: 'NO_ANSWER', reason: 'no answer', retryable: true };
            const { channel } = routed.outbound;
            if (outcome.kind === 'accepted') {
              const fields = { channel, providerId, billableUnits: routed.billableUnits, providerRef: outcome.providerRef, why: routed.failoverWhy };
              events.push(record(event(routed.claimed, submittedAtMs, 'submitted', fields)));
              const timeoutMs = routed.plan === null ? undefined : reportTimeoutsMs[routed.outbound.channel];
              if (connector?.reportsByRef === true && outcome.providerRef !== '') refs.push({ providerId, providerRef: outcome.providerRef, messageId: routed.claimed.message.messageId });
              if (timeoutMs !== undefined) deadlines.push({ messageId: routed.claimed.message.messageId, attempt: attemptOf(providerId, outcome.providerRef), dueMs: submittedAtMs + timeoutMs });
              done.push(routed.claimed.message.messageId);
            } else if (!outcome.retryable && outcome.code !== 'TTL_EXPIRED' && routed.plan !== null && routed.plan.next.length > 0) {
              // A permanent refusal ends this channel for the message (see failover: it is not offered to the
              // channel's other suppliers); its chain goes on with the next channel.
              const moved = fallBack(routed.plan, { providerId, code: outcome.code, reason: maskPhoneNumbers(outcome.reason), atMs: submittedAtMs });
              events.push(record(moved.event));
              fallbacks.push(moved.message);
            } else if (!outcome.retryable) {
              const state = outcome.code === 'TTL_EXPIRED' ? 'expired' : 'failed';
              const fields = { channel, providerId, billableUnits: routed.billableUnits, code: outcome.code, reason: maskPhoneNumbers(outcome.reason) };
              events.push(record(event(routed.claimed, submittedAtMs, state, fields)));
              done.push(routed.claimed.message.messageId);
            } else {
              const id = routed.claimed.message.messageId;
              let seen = tried.get(id);
              if (seen === undefined) tried.set(id, (seen = new Set(triedOn(routed.claimed.message, routed.outbound.channel))));
              seen.add(providerId);
              const alternative = signal.aborted ? undefined : this.deps.chooseProvider(routed.outbound.channel, routed.outbound.recipient, seen);
              if (alternative === undefined) {
                retry.push(routed.claimed);
              } else {
                let group = next.get(alternative.providerId);
                if (group === undefined) next.set(alternative.providerId, (group = []));
                const failoverWhy = `failover: "${providerId}" refused for now (${outcome.code}); provider "${alternative.providerId}": ${alternative.why}`;
                group.push({ ...routed, providerId: alternative.providerId, failoverWhy });
              }
            }
          });
        }),
      );
      round = next;
    }

    // Before SUBMITTED is recorded: a node that dies in between leaves a deadline, not a message waiting forever.
    if (deadlines.length > 0) await store.keepReportDeadlines(deadlines);
    // Before SUBMITTED too: a receipt may reach another node as soon as the supplier answered.
    if (refs.length > 0) await store.keepProviderRefs(refs);
    if (events.length > 0) await store.recordEvents(events);
    if (done.length > 0) await store.complete(done);
    // Claim ended and next channel queued in one step: a node that dies after FALLBACK is recorded
    // leaves the claim open, and whoever takes it over moves the message on again.
    if (fallbacks.length > 0) await store.completeAsFallbacks(fallbacks);
    if (retry.length > 0) {
      const { retryBackoffMs, maxRetryBackoffMs } = this.deps.config().dispatcher;
      const attempts = Math.max(...retry.map((c) => c.deliveryCount));
      await store.retryLater(retry, Math.min(maxRetryBackoffMs, retryBackoffMs * 2 ** Math.min(attempts - 1, 20)));
    }
  }

  /** The opted-out recipients among the batch's advertising messages: one look-up per tenant per batch. */
  private async findOptedOut(batch: readonly ClaimedMessage[]): Promise<Map<string, Set<string>>> {
    const recipientsByTenant = new Map<string, string[]>();
    for (const { message } of batch) {
      if (message.kind !== 'advertising') continue;
      let recipients = recipientsByTenant.get(message.tenant);
      if (recipients === undefined) recipientsByTenant.set(message.tenant, (recipients = []));
      recipients.push(message.recipient);
    }
    const optedOut = new Map<string, Set<string>>();
    for (const [tenant, recipients] of recipientsByTenant) optedOut.set(tenant, await this.deps.optOuts.findOptedOut(tenant, recipients));
    return optedOut;
  }

  /** Adds one provider batch's answers to the metrics: three incs at most, whatever the batch size. */
  private countAnswers(providerId: string, outcomes: readonly SubmitOutcome[]): void {
    let accepted = 0;
    let rejected = 0;
    for (const o of outcomes) {
      if (o.kind === 'accepted') accepted++;
      else if (!o.retryable) rejected++;
    }
    const retryable = outcomes.length - accepted - rejected;
    const answers = this.deps.metrics.providerAnswers;
    if (accepted > 0) answers.inc({ provider: providerId, outcome: 'accepted' }, accepted);
    if (rejected > 0) answers.inc({ provider: providerId, outcome: 'rejected' }, rejected);
    if (retryable > 0) answers.inc({ provider: providerId, outcome: 'retryable' }, retryable);
  }

  /**
   * Puts messages held by the advertising night window back in the queue until they may go (their
   * DEFERRED event is recorded with the batch's other events). The wait is capped at dispatcher.maxDeferWaitMs because a store may time it on host
   * timers (the memory store's setTimeout) while the window is on the wall clock: a held message is
   * routed again at least that often, and simply held again while the window lasts.
   */
  private async deferUntil(held: readonly ClaimedMessage[], deferUntilMs: number, nowMs: number): Promise<void> {
    const delayMs = Math.max(0, Math.min(deferUntilMs - nowMs, this.deps.config().dispatcher.maxDeferWaitMs));
    log('info', 'advertising held by the night window', { count: held.length, until: new Date(deferUntilMs).toISOString(), nextCheckInMs: delayMs });
    await this.deps.store.retryLater(held, delayMs);
  }
}

function event(claimed: ClaimedMessage, atMs: number, state: StatusEvent['state'], fields: Partial<StatusEvent>): StatusEvent {
  return {
    messageId: claimed.message.messageId,
    state,
    atMs,
    channel: fields.channel ?? null,
    providerId: fields.providerId ?? '',
    providerRef: fields.providerRef ?? '',
    code: fields.code ?? '',
    reason: fields.reason ?? '',
    billableUnits: fields.billableUnits ?? 0,
    // Always present, so every event has one shape (the stores and encoders stay monomorphic).
    why: fields.why ?? '',
  };
}

/** The suppliers of `channel` the message already had (report-driven failover), which it must not go to again. */
function triedOn(message: AcceptedMessage, channel: ChannelName): ReadonlySet<string> {
  const tried = message.triedProviders;
  return tried !== undefined && tried.channel === channel ? new Set(tried.providers) : NONE_TRIED;
}

function record(statusEvent: StatusEvent): EventToRecord {
  return { event: statusEvent, dedupKey: '' };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
