import type { Config } from '../config/config.js';
import type { ProviderConnector, ProviderReport } from '../channels/provider-connector.js';
import type { InboundEvent, StatusEvent } from '../domain/status-event.js';
import { maskPhoneNumbers } from '../domain/mask-phone-numbers.js';
import { log } from '../log.js';
import type { GatewayMetrics } from '../metrics.js';
import type { AcceptedMessage } from '../domain/message.js';
import type { EventToRecord, MessageStore } from '../store/store.js';
import { isFinalState } from '../domain/message-state.js';
import type { ChooseProvider } from '../channels/provider-choice.js';
import type { BulkTurnBudget } from './bulk-turn-budget.js';
import { attemptOf, fallBack } from './fall-back.js';
import { moveOn } from './move-on.js';

export interface ReportIngestorDeps {
  readonly store: MessageStore;
  readonly metrics: GatewayMetrics;
  readonly config: () => Config;
  readonly now: () => number;
  /** For a failure code retryable elsewhere: the next supplier of the channel. */
  readonly chooseProvider: ChooseProvider;
  /** Event-loop time for bulk work per turn; each report frame asks before it is stored. */
  readonly bulkTurns?: BulkTurnBudget;
}

/** Counts of what the ingestor could not attribute, for metrics and tests. */
export interface IngestStats {
  /** Delivery reports for message ids the store does not know (quarantined). */
  unknownDeliveries: number;
  /** Inbound messages that no tenant could be found for. */
  unattributedInbound: number;
  /** Failure reports of a channel the message already moved on from (resent, or of an earlier step): dropped. */
  supersededFailures?: number;
}

/**
 * Reads a connector's reports, stores them, and only then acks them to the provider, so a report
 * is never lost across reconnects. A resent inbound message is dropped by its report id; a resent
 * delivery report changes nothing because final states are final.
 */
export async function ingestReports(connector: ProviderConnector, deps: ReportIngestorDeps, stats: IngestStats, signal: AbortSignal): Promise<void> {
  for await (const batch of connector.reports()) {
    if (deps.bulkTurns !== undefined) await deps.bulkTurns.waitForTurn();
    // A batch that cannot be stored (the store is down) is tried again until it can: skipping it
    // would leave it unacked at the provider until some later reconnect. While this waits, the
    // connector's queue fills and it pauses the provider's stream.
    // The plans taken for the batch are kept across retries: taken again, they would come back
    // 'superseded' and the failures would be dropped with their messages never moved on.
    let prepared: PreparedReports | undefined;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        prepared ??= await prepareReports(connector.id, batch.reports, deps, stats);
        await storeReports(connector.id, prepared, deps, stats);
        batch.ack();
        break;
      } catch (error) {
        log('error', 'storing provider reports failed; retrying', { provider: connector.id, count: batch.reports.length, attempt, error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt)));
      }
    }
  }
}

/** A batch of reports as it will be stored: events, inbound messages, and messages to queue again. */
interface PreparedReports {
  readonly deliveries: EventToRecord[];
  readonly inbound: { event: InboundEvent; dedupKey: string }[];
  readonly fallbacks: AcceptedMessage[];
  /** The failure report each FALLBACK of this batch stands for, by message id. */
  readonly failuresMoved: ReadonlyMap<string, StatusEvent>;
  /** Attempts whose plans this batch took: finished once the moves are stored (see MessageStore.settleAttempts). */
  readonly moves: { messageId: string; attempt: string }[];
}

async function prepareReports(providerId: string, reports: readonly ProviderReport[], deps: ReportIngestorDeps, stats: IngestStats): Promise<PreparedReports> {
  const deliveries: EventToRecord[] = [];
  /** The supplier's report id of each delivery, by index. */
  const reportIds: string[] = [];
  const inbound: { event: InboundEvent; dedupKey: string }[] = [];
  const byRef = await messageIdsByRef(providerId, reports, deps);
  for (const report of reports) {
    const d = report.delivery === null || report.delivery.messageId !== '' ? report.delivery : { ...report.delivery, messageId: byRef.get(report.delivery.providerRef) ?? '' };
    if (d !== null) {
      reportIds.push(report.reportId);
      deliveries.push({
        event: {
          messageId: d.messageId,
          state: d.state,
          atMs: d.doneAtMs || deps.now(),
          channel: null,
          providerId,
          providerRef: d.providerRef,
          code: d.code,
          // Supplier text, stored and shown: some suppliers name the recipient in it.
          reason: maskPhoneNumbers(d.description),
          billableUnits: 0,
        },
        // No dedup key: delivery reports carry final states, and the monotone state machine already
        // turns a resent one into a no-op ('stale'), without a key per report in the store.
        dedupKey: '',
      });
    }
    const m = report.inbound;
    if (m !== null) {
      const tenant = await tenantOfInbound(m.inReplyToMessageId, m.to, deps);
      if (tenant === undefined) {
        stats.unattributedInbound++;
        continue;
      }
      inbound.push({
        event: { tenant, providerId, channel: m.channel, from: m.from, to: m.to, body: m.body, inReplyToMessageId: m.inReplyToMessageId, receivedAtMs: m.receivedAtMs || deps.now() },
        dedupKey: `report:${providerId}:${report.reportId}`,
      });
    }
  }
  const { fallbacks, failuresMoved, moves } = await applyFallbacks(providerId, deliveries, reportIds, deps, stats);
  return { deliveries, inbound, fallbacks, failuresMoved, moves };
}

async function storeReports(providerId: string, { deliveries, inbound, fallbacks, failuresMoved, moves }: PreparedReports, deps: ReportIngestorDeps, stats: IngestStats): Promise<void> {
  /** Messages whose FALLBACK came stale: they were final already (a stray failure report after the delivery), and go nowhere. */
  let finalAlready: Set<string> | undefined;
  if (deliveries.length > 0) {
    const outcomes = await deps.store.recordEvents(deliveries);
    if (fallbacks.length > 0) {
      outcomes.forEach((outcome, i) => {
        const event = deliveries[i]!.event;
        if (outcome === 'stale' && event.state === 'fallback') (finalAlready ??= new Set()).add(event.messageId);
      });
    }
    if (finalAlready !== undefined) {
      // The stores keep no stale FALLBACK: the failure goes on record as it came, like any report after the end.
      const why = `failure report from "${providerId}" after the message was final: nothing moved; its state is unchanged`;
      await deps.store.recordEvents([...finalAlready].map((id) => ({ event: { ...failuresMoved.get(id)!, why }, dedupKey: '', historyOnly: true })));
    }
    const unknownIds: string[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome === 'unknown-message') unknownIds.push(deliveries[i]?.event.messageId ?? '');
    });
    const unknown = unknownIds.length;
    if (unknown > 0) {
      stats.unknownDeliveries += unknown;
      deps.metrics.unknownReports.inc({ provider: providerId }, unknown);
      // Quarantined: not applied to any message, acked so the provider stops resending, and left here for people to look at.
      log('warn', 'delivery reports for unknown message ids quarantined', { provider: providerId, count: unknown, messageIds: unknownIds.slice(0, 20) });
    }
  }
  if (inbound.length > 0) await deps.store.recordInbound(inbound);
  // After the FALLBACK events are stored, so the next channel's events follow them. Delayed by the
  // retry backoff: the dispatcher that submitted the failed attempt may not have completed its claim yet.
  const moving = finalAlready === undefined ? fallbacks : fallbacks.filter((m) => !finalAlready!.has(m.messageId));
  if (moving.length > 0) await deps.store.requeueFallbacks(moving, deps.config().dispatcher.retryBackoffMs);
  // Last, before the ack: until here the same report, resent after this node died, takes the plans again.
  if (moves.length > 0) await deps.store.finishMoves(moves);
}

/**
 * Settles each final delivery report against its message's plan (see MessageStore.settleAttempts).
 * A failed one of a message on a chain moves it on (once: the store takes each attempt's plan
 * once, so a resent report is dropped): to another supplier of the channel when config marks its
 * code retryable elsewhere and one is left, else to the next channel, else it ends FAILED with this
 * reason. A late report of an attempt the message moved on from (its report deadline passed) is
 * kept in the history only. Rewrites `deliveries` in place; returns the messages to queue again.
 */
async function applyFallbacks(
  providerId: string,
  deliveries: EventToRecord[],
  reportIds: readonly string[],
  deps: ReportIngestorDeps,
  stats: IngestStats,
): Promise<{ fallbacks: AcceptedMessage[]; failuresMoved: Map<string, StatusEvent>; moves: { messageId: string; attempt: string }[] }> {
  // Only failures can move a message, unless report-driven failover is configured: then every final
  // report settles its deadline (and a late one must be told apart), at one store call per batch.
  const { reportTimeoutsMs, retryElsewhereCodes } = deps.config().routing;
  const watching = Object.keys(reportTimeoutsMs).length > 0 || Object.keys(retryElsewhereCodes).length > 0;
  const finals: number[] = [];
  for (let index = 0; index < deliveries.length; index++) {
    const state = (deliveries[index] as EventToRecord).event.state;
    if (state === 'failed' || (watching && isFinalState(state))) finals.push(index);
  }
  if (finals.length === 0) return { fallbacks: [], failuresMoved: NO_FAILURES_MOVED, moves: [] };
  const settled = finals.map((i) => {
    const e = deliveries[i]!.event;
    return { messageId: e.messageId, attempt: attemptOf(providerId, e.providerRef), failed: e.state === 'failed', reportId: reportIds[i] ?? '' };
  });
  const takes = await deps.store.settleAttempts(settled);
  const messages: AcceptedMessage[] = [];
  const failuresMoved = new Map<string, StatusEvent>();
  const moves: { messageId: string; attempt: string }[] = [];
  const dropped = new Set<number>();
  const elsewhere = retryElsewhereCodes;
  finals.forEach((index, j) => {
    const take = takes[j];
    const report = deliveries[index]!.event;
    if (take?.kind === 'late') {
      const why = `late report from "${providerId}": the message had moved on after no final report in time; its state is unchanged`;
      deliveries[index] = { event: { ...report, why }, dedupKey: '', historyOnly: true };
    } else if (take?.kind === 'superseded' && report.state === 'failed') {
      dropped.add(index);
    } else if (take?.kind === 'plan') {
      const { messageId, attempt, reportId } = settled[j]!;
      moves.push({ messageId, attempt });
      // Keyed by the report: taken again after a crash, the move is not recorded twice.
      const dedupKey = reportId === '' ? '' : `fallback:${providerId}:${reportId}`;
      const failure = { providerId, code: report.code, reason: report.reason, atMs: report.atMs };
      const retryElsewhere = elsewhere[take.plan.channel]?.includes(report.code) === true;
      const moved = retryElsewhere ? moveOn(take.plan, failure, deps.chooseProvider) : take.plan.next.length > 0 ? { kind: 'moved' as const, ...fallBack(take.plan, failure) } : { kind: 'nowhere' as const };
      if (moved.kind === 'moved') {
        deliveries[index] = { event: { ...moved.event, providerRef: report.providerRef }, dedupKey };
        messages.push(moved.message);
        failuresMoved.set(messageId, report);
      } else if (retryElsewhere || take.plan.step > 0) {
        const why = retryElsewhere
          ? `no supplier of ${take.plan.channel} left to retry elsewhere, and no channel after it`
          : `last channel of route "${take.plan.routeName}" (step ${take.plan.step})`;
        deliveries[index] = { event: { ...report, channel: take.plan.channel, why }, dedupKey };
      }
    }
  });
  if (dropped.size > 0) {
    stats.supersededFailures = (stats.supersededFailures ?? 0) + dropped.size;
    const kept = deliveries.filter((_, i) => !dropped.has(i));
    deliveries.length = 0;
    deliveries.push(...kept);
  }
  return { fallbacks: messages, failuresMoved, moves };
}

const NO_REFS: ReadonlyMap<string, string> = new Map();
const NO_FAILURES_MOVED: Map<string, StatusEvent> = new Map();

/**
 * A report that names only the supplier's reference (an SMSC receipt this node's connector cannot
 * map: sent by another node, or before a restart) is matched through the store's reference index.
 */
async function messageIdsByRef(providerId: string, reports: readonly ProviderReport[], deps: ReportIngestorDeps): Promise<ReadonlyMap<string, string>> {
  const wanted = new Set<string>();
  for (const r of reports) if (r.delivery !== null && r.delivery.messageId === '' && r.delivery.providerRef !== '') wanted.add(r.delivery.providerRef);
  if (wanted.size === 0) return NO_REFS;
  const refs = [...wanted];
  const ids = await deps.store.findByProviderRefs(providerId, refs);
  return new Map(refs.map((ref, i) => [ref, ids[i] ?? '']));
}

/** The message replied to decides the tenant; otherwise the tenant whose registered sender number was texted. */
async function tenantOfInbound(inReplyTo: string, to: string, deps: ReportIngestorDeps): Promise<string | undefined> {
  if (inReplyTo !== '') {
    const tenant = await deps.store.getTenantOf(inReplyTo);
    if (tenant !== undefined) return tenant;
  }
  const digits = to.replace(/\D/g, '');
  for (const tenant of deps.config().tenants.values()) if (tenant.senderNumbers.includes(digits)) return tenant.id;
  return undefined;
}
