import type { MemoryStoreSettings } from '../config/config.js';
import { clientRefFingerprint } from '../domain/client-ref-fingerprint.js';
import { PRIORITIES, type AcceptedMessage, type MessagePriority } from '../domain/message.js';
import { isFinalState, stateRank, type MessageState } from '../domain/message-state.js';
import { acceptedEvent, type InboundEvent } from '../domain/status-event.js';
import { SetOrderMap } from '../domain/set-order-map.js';
import { ClientRefWindow } from './client-ref-window.js';
import { DeadlineHeap } from './deadline-heap.js';
import { FifoQueue } from './fifo-queue.js';
import { InvalidCursorError } from './store-errors.js';
import { HistoryShapes } from './history-shapes.js';
import type { OptOutList } from './opt-out-list.js';
import { isNormalOperatorState, type OperatorStates, type StoredOperatorState } from './operator-states.js';
import { ReportLog } from './report-log.js';
import { PackedStatusTable } from './packed-status-table.js';
import { acceptedAtMsOfStatus, appendEvent, historyLength, historyOf, insertStale, packStatus, releaseStatus, StatusEntry, tenantOfStatus, unpackStatus } from './status-entry.js';
import {
  type ClaimedMessage,
  type EnqueueOutcome,
  type EventToRecord,
  type FailedAttempt,
  type FallbackPlan,
  type FallbackTake,
  MAX_HISTORY_EVENTS,
  type MessageStore,
  type OverdueAttempt,
  type ProviderRef,
  type RecordOutcome,
  type ReportDeadline,
  type SettledAttempt,
  type StatusRecord,
  type StoredReport,
} from './store.js';
import { Waiters } from './waiters.js';

/** A message's fallback plan and what became of its attempts. */
interface FallbackEntry {
  plan: FallbackPlan | undefined;
  /** Attempts marked: settled by a report, or taken as overdue; made at the first (most chain messages never fail). */
  taken?: Set<string>;
  atMs: number;
  /** Attempts taken as overdue whose late report has not come. */
  overdue?: Set<string>;
  /**
   * Moves taken and not finished (finishMoves), by attempt: the plan, handed out again to whoever
   * holds it, and the report id that took it ('' when the sweeper took it as overdue).
   */
  moving?: Map<string, { plan: FallbackPlan; reportId: string }>;
}

/** Shared by the (many) messages without tags, instead of an empty array each. */
const NO_TAGS: readonly string[] = Object.freeze([]);

const SWEEP_INTERVAL_MS = 10_000;
/**
 * Oldest entries of a windowed Map a batch may forget, per message or event in it (once per batch,
 * after its sets): more than one, so expired ones never pile up while new ones come in.
 */
const TRIM_PER_SET = 2;
/** Most entries a sweep forgets per windowed Map: a few milliseconds of work (what expires between sets is caught up over sweeps). */
const SWEEP_TRIM_LIMIT = 10_000;
/** Shapes kept for final status records; a few hundred bytes each, and most traffic uses a handful. */
const MAX_HISTORY_SHAPES = 16_384;

/**
 * The embedded default store: everything in this process's memory. Not durable and not shared:
 * for development, demos, tests and single-node setups that accept losing queued messages on a
 * crash. Every structure is bounded by config.
 */
export class MemoryStore implements MessageStore, OptOutList, OperatorStates {
  /** Queued messages as claim hands them out: deliveryCount is the count of the next claim. */
  private readonly lanes: Record<MessagePriority, FifoQueue<ClaimedMessage>> = {
    urgent: new FifoQueue(),
    normal: new FifoQueue(),
    bulk: new FifoQueue(),
  };
  private readonly inFlight = new Set<string>();
  private delayedCount = 0;
  private readonly delayTimers = new Set<NodeJS.Timeout>();
  private readonly claimWaiters = new Waiters();
  /** Status records of messages on their way (and those `packedStatuses` cannot hold), oldest first. */
  private readonly statuses = new Map<string, StatusEntry>();
  /**
   * Packed status records (see packStatus), oldest first: final ones, and those of messages on
   * their way past maxQueuedMessages (see packWaiting). A message's record is in one of the two;
   * together they hold at most maxStatusRecords.
   */
  private readonly packedStatuses: PackedStatusTable;
  /**
   * Where packWaiting stopped in `statuses`, while more records than maxQueuedMessages are on their
   * way. A Map iterator survives deletions and sees later insertions, so each batch resumes at the
   * oldest record not yet passed. A new iterator per batch first stepped over every deleted slot at
   * the front of the Map's table (V8 keeps them until the table is rebuilt): the hottest line of
   * enqueue in a profile with 300k messages waiting. Dropped once nothing is over the bound (see
   * packWaiting): a standing iterator keeps the Map's old tables and their entries alive.
   */
  private waitingWalk: MapIterator<[string, StatusEntry]> | undefined;
  /** What final status records share (see packStatus). */
  private readonly shapes = new HistoryShapes(MAX_HISTORY_SHAPES);
  /** By "<tenant>\0<clientRef>": the message that took the reference, and its clientRefFingerprint. */
  private readonly clientRefs: ClientRefWindow;
  /**
   * The time each dedup key (inbound replies, fallback moves) was seen; oldest first. Each batch
   * that sets into it (or providerRefs, or clientRefs) trims a few of the oldest entries, and the
   * sweep catches up. A SetOrderMap, as is providerRefs: a full Map that forgets its oldest as fast
   * as it learns new keys stalls each time V8 rebuilds it (see SetOrderMap).
   */
  private readonly seenDedupKeys = new SetOrderMap<number>();
  private readonly reportLogs = new Map<string, ReportLog>();
  /** Logs appended to since the last notifyReaders: readers are woken once per batch, not per report. */
  private readonly touchedLogs = new Set<ReportLog>();
  private readonly optOuts = new Map<string, Set<string>>();
  private readonly operatorStates = new Map<string, StoredOperatorState>();
  /** Fallback plans and the attempts already taken, by message id; oldest first, trimmed as are the dedup keys. */
  private readonly fallbacks = new SetOrderMap<FallbackEntry>();
  /** Message ids by "<providerId>\t<providerRef>"; oldest first (see sweep). */
  private readonly providerRefs = new SetOrderMap<{ messageId: string; atMs: number }>();
  /** Report deadlines by "<messageId>\t<attempt>". */
  private readonly reportDeadlines = new DeadlineHeap();
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(
    private readonly settings: MemoryStoreSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.packedStatuses = new PackedStatusTable(settings.maxStatusRecords);
    this.clientRefs = new ClientRefWindow(settings.maxStatusRecords);
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  private get queuedCount(): number {
    return this.lanes.urgent.length + this.lanes.normal.length + this.lanes.bulk.length + this.inFlight.size + this.delayedCount;
  }

  async enqueue(batch: readonly AcceptedMessage[]): Promise<EnqueueOutcome[]> {
    const outcomes: EnqueueOutcome[] = [];
    const queuedBefore = this.queuedCount;
    let queued = queuedBefore;
    let log: ReportLog | undefined;
    for (const message of batch) {
      const refKey = message.clientRef === '' ? '' : `${message.tenant}\u0000${message.clientRef}`;
      const holder = refKey === '' ? undefined : this.clientRefs.get(refKey);
      // Expired but not trimmed yet (they are trimmed a few at a time): taken anew below.
      const expired = holder !== undefined && message.acceptedAtMs - holder.atMs >= this.settings.dedupWindowMs;
      const earlier = expired ? undefined : holder;
      const fingerprint = refKey === '' ? '' : clientRefFingerprint(message);
      if (earlier !== undefined) {
        outcomes.push({ kind: earlier.fingerprint === fingerprint ? 'duplicate' : 'conflict', messageId: earlier.messageId });
        continue;
      }
      if (queued >= this.settings.maxQueuedMessages) {
        outcomes.push({ kind: 'queue-full' });
        continue;
      }
      queued++;
      if (refKey !== '') this.clientRefs.set(refKey, { messageId: message.messageId, atMs: message.acceptedAtMs, fingerprint }, expired);
      const accepted = acceptedEvent(message.messageId, message.acceptedAtMs);
      const tags = message.tags.length === 0 ? NO_TAGS : message.tags;
      // A message id is new: the status record starts here, and ACCEPTED is reported without the state machine.
      this.statuses.set(message.messageId, new StatusEntry(message.tenant, message.clientRef, tags, 'accepted', message.acceptedAtMs, null));
      // Looked up once per run of one tenant's messages (a batch is usually one tenant's).
      if (log === undefined || log.tenant !== message.tenant) log = this.appendingTo(message.tenant);
      log.append(accepted, message.clientRef);
      this.lanes[message.priority].push({ message, deliveryCount: 1 });
      outcomes.push({ kind: 'accepted', messageId: message.messageId });
    }
    this.clientRefs.trim(this.now(), this.settings.dedupWindowMs, this.settings.maxStatusRecords, TRIM_PER_SET * batch.length);
    this.dropStatusesOver(this.settings.maxStatusRecords);
    this.packWaiting();
    this.notifyReaders();
    if (queued > queuedBefore) this.claimWaiters.notify();
    return outcomes;
  }

  async claim(maxCount: number, signal: AbortSignal, lanes: readonly MessagePriority[] = PRIORITIES): Promise<ClaimedMessage[]> {
    for (;;) {
      if (signal.aborted) return [];
      const taken: ClaimedMessage[] = [];
      for (const priority of lanes) {
        if (taken.length < maxCount) this.lanes[priority].shiftInto(taken, maxCount - taken.length);
      }
      if (taken.length > 0) {
        for (const c of taken) this.inFlight.add(c.message.messageId);
        return taken;
      }
      await this.claimWaiters.wait(signal);
      // Woken by the first enqueue of an I/O turn: let the turn's other frames be enqueued too, so
      // one-message frames are dispatched in batches rather than one by one. The urgent-only loop
      // takes its message at once.
      if ((lanes.length > 1 || lanes[0] !== 'urgent')) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async complete(messageIds: readonly string[]): Promise<void> {
    for (const id of messageIds) this.inFlight.delete(id);
  }

  async retryLater(messages: readonly ClaimedMessage[], delayMs: number): Promise<void> {
    const live = messages.filter((c) => this.inFlight.delete(c.message.messageId));
    if (live.length === 0) return;
    this.delayedCount += live.length;
    const timer = setTimeout(() => {
      this.delayTimers.delete(timer);
      this.delayedCount -= live.length;
      for (const c of live) this.lanes[c.message.priority].push({ message: c.message, deliveryCount: c.deliveryCount + 1 });
      this.claimWaiters.notify();
    }, delayMs);
    this.delayTimers.add(timer);
  }

  async recordEvents(events: readonly EventToRecord[]): Promise<RecordOutcome[]> {
    return this.applyEvents(events);
  }

  async recordInbound(events: readonly { readonly event: InboundEvent; readonly dedupKey: string }[]): Promise<void> {
    const nowMs = this.now();
    let log: ReportLog | undefined;
    for (const { event, dedupKey } of events) {
      if (this.isDuplicateKey(dedupKey, nowMs)) continue;
      if (log === undefined || log.tenant !== event.tenant) log = this.appendingTo(event.tenant);
      log.append(event, '');
    }
    this.trimDedupKeys(nowMs, TRIM_PER_SET * events.length);
    this.notifyReaders();
  }

  async getStatus(tenant: string, messageId: string): Promise<StatusRecord | undefined> {
    let entry = this.statuses.get(messageId);
    if (entry === undefined) {
      const packed = this.packedStatuses.get(messageId);
      if (packed !== undefined) entry = unpackStatus(packed, this.shapes);
    }
    if (entry === undefined || entry.tenant !== tenant) return undefined;
    return { messageId, tenant, clientRef: entry.clientRef, state: entry.state, history: historyOf(messageId, entry), tags: [...entry.tags] };
  }

  async getTenantOf(messageId: string): Promise<string | undefined> {
    const entry = this.statuses.get(messageId);
    if (entry !== undefined) return entry.tenant;
    const packed = this.packedStatuses.get(messageId);
    return packed === undefined ? undefined : tenantOfStatus(packed, this.shapes);
  }

  async readReports(tenant: string, cursor: string, maxCount: number, signal: AbortSignal): Promise<StoredReport[]> {
    const log = this.reportLog(tenant);
    let nextSeq = cursor === 'oldest' ? log.firstSeq : cursor === '' ? log.nextSeq : Number(cursor) + 1;
    if (!/^(\d+|oldest|)$/.test(cursor) || !Number.isSafeInteger(nextSeq)) throw new InvalidCursorError(`cursor ${JSON.stringify(cursor)} is not a cursor this gateway issued`);
    for (;;) {
      if (signal.aborted) return [];
      nextSeq = Math.max(nextSeq, log.firstSeq);
      if (nextSeq < log.nextSeq) return log.read(nextSeq, maxCount);
      await log.waiters.wait(signal);
    }
  }

  async latestCursor(tenant: string): Promise<string> {
    const log = this.reportLog(tenant);
    return log.nextSeq === 0 ? '' : String(log.nextSeq - 1);
  }

  async keepFallbackPlans(plans: readonly FallbackPlan[]): Promise<void> {
    const atMs = this.now(); // one clock read per batch
    for (const plan of plans) {
      const id = plan.message.messageId;
      const earlier = this.fallbacks.get(id);
      // The newest now: the map stays in order of last write for the trim.
      this.fallbacks.set(id, { ...earlier, plan, atMs });
    }
    this.trimFallbacks(atMs, TRIM_PER_SET * plans.length);
  }

  async takeFallbackPlans(failures: readonly FailedAttempt[]): Promise<FallbackTake[]> {
    return failures.map(({ messageId, attempt }): FallbackTake => {
      const entry = this.fallbacks.get(messageId);
      if (entry === undefined) return { kind: 'none' };
      if (entry.taken?.has(attempt) === true) return { kind: 'superseded' };
      (entry.taken ??= new Set()).add(attempt);
      const plan = entry.plan;
      entry.plan = undefined;
      return plan === undefined ? { kind: 'none' } : { kind: 'plan', plan };
    });
  }

  async requeueFallbacks(messages: readonly AcceptedMessage[], delayMs: number): Promise<void> {
    if (messages.length === 0) return;
    this.delayedCount += messages.length;
    const timer = setTimeout(() => {
      this.delayTimers.delete(timer);
      this.delayedCount -= messages.length;
      for (const message of messages) this.lanes[message.priority].push({ message, deliveryCount: 1 });
      this.claimWaiters.notify();
    }, delayMs);
    this.delayTimers.add(timer);
  }

  async completeAsFallbacks(moved: readonly AcceptedMessage[]): Promise<void> {
    // One synchronous step: nothing can run between ending the claim and queueing the move.
    await this.requeueFallbacks(moved.filter((m) => this.inFlight.delete(m.messageId)), 0);
  }

  async keepReportDeadlines(deadlines: readonly ReportDeadline[]): Promise<void> {
    for (const d of deadlines) this.reportDeadlines.add(`${d.messageId}\t${d.attempt}`, d.dueMs);
  }

  async settleAttempts(reports: readonly SettledAttempt[]): Promise<FallbackTake[]> {
    return reports.map(({ messageId, attempt, failed, reportId }): FallbackTake => {
      this.reportDeadlines.remove(`${messageId}\t${attempt}`);
      const entry = this.fallbacks.get(messageId);
      if (entry === undefined) return { kind: 'none' };
      if (entry.taken?.has(attempt) === true) {
        if (entry.overdue?.delete(attempt) === true) {
          entry.moving?.delete(attempt); // the late report ends the lease: the sweeper moved it
          return { kind: 'late' };
        }
        const held = reportId === '' ? undefined : entry.moving?.get(attempt);
        return held?.reportId === reportId ? { kind: 'plan', plan: held.plan } : { kind: 'superseded' };
      }
      (entry.taken ??= new Set()).add(attempt);
      if (!failed) return { kind: 'none' };
      const plan = entry.plan;
      entry.plan = undefined;
      if (plan === undefined) return { kind: 'none' };
      if (reportId !== '') (entry.moving ??= new Map()).set(attempt, { plan, reportId });
      return { kind: 'plan', plan };
    });
  }

  async takeOverdueAttempts(nowMs: number, maxCount: number, leaseMs: number): Promise<OverdueAttempt[]> {
    const overdue: OverdueAttempt[] = [];
    for (const { key, dueMs } of this.reportDeadlines.takeDue(nowMs, maxCount)) {
      const tab = key.indexOf('\t');
      const messageId = key.slice(0, tab);
      const attempt = key.slice(tab + 1);
      const entry = this.fallbacks.get(messageId);
      if (entry === undefined) continue;
      let plan: FallbackPlan | undefined;
      if (entry.taken?.has(attempt) !== true) {
        (entry.taken ??= new Set()).add(attempt);
        (entry.overdue ??= new Set()).add(attempt);
        plan = entry.plan;
        entry.plan = undefined;
        if (plan !== undefined) (entry.moving ??= new Map()).set(attempt, { plan, reportId: '' });
      } else if (entry.overdue?.has(attempt) === true) {
        plan = entry.moving?.get(attempt)?.plan; // a lease that ran out unfinished
      }
      if (plan === undefined) continue;
      this.reportDeadlines.add(key, nowMs + leaseMs);
      overdue.push({ messageId, attempt, dueMs, plan });
    }
    return overdue;
  }

  async finishMoves(moves: readonly { readonly messageId: string; readonly attempt: string }[]): Promise<void> {
    for (const { messageId, attempt } of moves) {
      this.reportDeadlines.remove(`${messageId}\t${attempt}`);
      this.fallbacks.get(messageId)?.moving?.delete(attempt);
    }
  }

  async keepProviderRefs(refs: readonly ProviderRef[]): Promise<void> {
    const atMs = this.now();
    for (const r of refs) {
      // A reference given again becomes the newest: the map stays in age order for the trim.
      this.providerRefs.set(`${r.providerId}\t${r.providerRef}`, { messageId: r.messageId, atMs });
    }
    this.trimProviderRefs(atMs, TRIM_PER_SET * refs.length);
  }

  async findByProviderRefs(providerId: string, providerRefs: readonly string[]): Promise<string[]> {
    const nowMs = this.now();
    return providerRefs.map((ref) => {
      const kept = this.providerRefs.get(`${providerId}\t${ref}`);
      // Past the retention but not trimmed yet (they are trimmed a few at a time): not known any more.
      return kept !== undefined && nowMs - kept.atMs < this.settings.statusRetentionMs ? kept.messageId : '';
    });
  }

  async addOptOuts(tenant: string, phoneNumbers: readonly string[]): Promise<number> {
    let list = this.optOuts.get(tenant);
    if (list === undefined) this.optOuts.set(tenant, (list = new Set()));
    const before = list.size;
    for (const phone of phoneNumbers) list.add(phone);
    return list.size - before;
  }

  async removeOptOuts(tenant: string, phoneNumbers: readonly string[]): Promise<number> {
    const list = this.optOuts.get(tenant);
    let removed = 0;
    for (const phone of phoneNumbers) if (list?.delete(phone)) removed++;
    return removed;
  }

  async findOptedOut(tenant: string, phoneNumbers: readonly string[]): Promise<Set<string>> {
    const list = this.optOuts.get(tenant);
    return new Set(list === undefined ? [] : phoneNumbers.filter((phone) => list.has(phone)));
  }

  async readOperatorStates(): Promise<Map<string, StoredOperatorState>> {
    return new Map(this.operatorStates);
  }

  async keepOperatorStates(states: ReadonlyMap<string, StoredOperatorState>): Promise<void> {
    for (const [providerId, state] of states) {
      if (isNormalOperatorState(state)) this.operatorStates.delete(providerId);
      else this.operatorStates.set(providerId, { drained: state.drained, preferred: state.preferred });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    for (const timer of this.delayTimers) clearTimeout(timer);
    this.delayTimers.clear();
  }

  private applyEvents(events: readonly EventToRecord[]): RecordOutcome[] {
    const outcomes: RecordOutcome[] = [];
    let nowMs = -1; // read once per batch, and only when a dedup key needs it
    let log: ReportLog | undefined;
    for (const { event, dedupKey, historyOnly } of events) {
      const id = event.messageId;
      const onItsWay = this.statuses.get(id);
      const packed = onItsWay === undefined ? this.packedStatuses.get(id) : undefined;
      if (onItsWay === undefined && packed === undefined) {
        outcomes.push('unknown-message');
        continue;
      }
      if (dedupKey !== '') {
        if (nowMs < 0) nowMs = this.now();
        if (this.isDuplicateKey(dedupKey, nowMs)) {
          outcomes.push('duplicate');
          continue;
        }
      }
      // A packed record is unpacked to take the event, and packed again (see keepPacked).
      const entry = packed === undefined ? onItsWay! : unpackStatus(packed, this.shapes);
      if (historyOnly === true || !movesForward(entry.state, event.state)) {
        // A late report is kept even when it repeats the state (the next supplier's DELIVERED, then the first one's).
        const length = historyLength(entry);
        const kept = historyOnly === true ? length < MAX_HISTORY_EVENTS : keepsStaleInHistory(entry.state, event.state, length);
        if (kept) {
          insertStale(entry, event);
          if (packed !== undefined) {
            this.keepPacked(id, entry, true);
            releaseStatus(packed, this.shapes);
          }
        }
        outcomes.push('stale');
        continue;
      }
      entry.state = event.state;
      appendEvent(entry, event);
      // Final: nothing moves the message on, so its fallback plan (a whole message) goes now, not after the retention.
      if (isFinalState(event.state)) this.dropFallbackPlan(id);
      if (isFinalState(event.state) || packed !== undefined) this.keepPacked(id, entry, packed !== undefined);
      if (packed !== undefined) releaseStatus(packed, this.shapes);
      if (log === undefined || log.tenant !== entry.tenant) log = this.appendingTo(entry.tenant);
      log.append(event, entry.clientRef);
      outcomes.push('applied');
    }
    if (nowMs >= 0) this.trimDedupKeys(nowMs, TRIM_PER_SET * events.length);
    this.notifyReaders();
    return outcomes;
  }

  /**
   * Packs a record into `packedStatuses` (a final one, one that was packed, or one packWaiting
   * picks), replacing its earlier packed record; one the table cannot hold (see
   * PackedStatusTable.put) stays, or becomes, an entry in `statuses`.
   */
  private keepPacked(messageId: string, entry: StatusEntry, replacing: boolean): void {
    const packed = packStatus(messageId, entry, this.shapes);
    if (replacing ? this.packedStatuses.put(messageId, packed) : this.packedStatuses.add(messageId, packed)) {
      this.statuses.delete(messageId);
    } else {
      releaseStatus(packed, this.shapes);
      this.statuses.set(messageId, entry);
    }
  }

  /** Records the key and says whether it was seen before; '' is never a duplicate. */
  private isDuplicateKey(dedupKey: string, nowMs: number): boolean {
    if (dedupKey === '') return false;
    const seenAtMs = this.seenDedupKeys.get(dedupKey);
    if (seenAtMs !== undefined && nowMs - seenAtMs < this.settings.dedupWindowMs) return true;
    this.seenDedupKeys.set(dedupKey, nowMs); // new, or expired and not trimmed yet: the newest now
    return false;
  }

  /** Forgets, oldest first, up to `limit` dedup keys past the dedup window or beyond maxStatusRecords. */
  private trimDedupKeys(nowMs: number, limit: number): void {
    const { dedupWindowMs, maxStatusRecords } = this.settings;
    this.seenDedupKeys.trimOldest(limit, maxStatusRecords, (atMs) => nowMs - atMs >= dedupWindowMs);
  }

  /** Lets a final message's plan go; the attempts' marks stay for the reports still to come. */
  private dropFallbackPlan(messageId: string): void {
    if (this.fallbacks.size === 0) return; // no chains in use: no look-up per message
    const entry = this.fallbacks.get(messageId);
    if (entry !== undefined) entry.plan = undefined;
  }

  /** Forgets, oldest first, up to `limit` fallback entries past the status retention or beyond maxStatusRecords. */
  private trimFallbacks(nowMs: number, limit: number): void {
    const { statusRetentionMs, maxStatusRecords } = this.settings;
    this.fallbacks.trimOldest(limit, maxStatusRecords, (entry) => nowMs - entry.atMs >= statusRetentionMs);
  }

  /** Forgets, oldest first, up to `limit` supplier references past the status retention or beyond maxStatusRecords. */
  private trimProviderRefs(nowMs: number, limit: number): void {
    const { statusRetentionMs, maxStatusRecords } = this.settings;
    this.providerRefs.trimOldest(limit, maxStatusRecords, (kept) => nowMs - kept.atMs >= statusRetentionMs);
  }

  private reportLog(tenant: string): ReportLog {
    let log = this.reportLogs.get(tenant);
    if (log === undefined) {
      log = new ReportLog(tenant, this.settings.reportRetentionPerTenant);
      this.reportLogs.set(tenant, log);
    }
    return log;
  }

  /** The tenant's report log, to append to; its readers are woken by the next notifyReaders. */
  private appendingTo(tenant: string): ReportLog {
    const log = this.reportLog(tenant);
    this.touchedLogs.add(log);
    return log;
  }

  /** Wakes the readers of the logs appended to since the last call. */
  private notifyReaders(): void {
    for (const log of this.touchedLogs) log.waiters.notify();
    this.touchedLogs.clear();
  }

  /** Forgets client_refs, dedup keys and status records past their retention or count; maps iterate oldest first. */
  private sweep(): void {
    const now = this.now();
    // Bounded by count too: a day's client_refs at thousands per second would fill the memory.
    // Each set trims these as it goes; the sweep catches up with what expires while few are set.
    this.clientRefs.trim(now, this.settings.dedupWindowMs, this.settings.maxStatusRecords, SWEEP_TRIM_LIMIT);
    this.trimDedupKeys(now, SWEEP_TRIM_LIMIT);
    this.trimProviderRefs(now, SWEEP_TRIM_LIMIT);
    this.trimFallbacks(now, SWEEP_TRIM_LIMIT);
    for (let packed = this.packedStatuses.oldest(); packed !== undefined; packed = this.packedStatuses.oldest()) {
      if (now - acceptedAtMsOfStatus(packed) < this.settings.statusRetentionMs) break;
      this.packedStatuses.dropOldest();
      releaseStatus(packed, this.shapes);
    }
    for (const [id, entry] of this.statuses) {
      if (now - entry.acceptedAtMs < this.settings.statusRetentionMs) break;
      this.statuses.delete(id);
    }
  }

  /**
   * Packs the oldest records of messages on their way while more than maxQueuedMessages are: the
   * queue holds at most that many, so the rest wait for something that can take long (delivery
   * reports that lag, or come hours later; a supplier that is down). Packed, such a record costs
   * about 80 bytes outside the heap instead of an entry of about 0.4 KB in it; the next event
   * unpacks it (and packs it again).
   */
  private packWaiting(): void {
    const max = this.settings.maxQueuedMessages;
    // Nothing to pack: let go of the walk. A Map iterator pins the table it was made on and every
    // table the Map has moved to since, with all the entries they held, deleted ones included;
    // kept from the end of a burst to the next, it held every record that went through meanwhile.
    if (this.statuses.size <= max) this.waitingWalk = undefined;
    while (this.statuses.size > max) {
      this.waitingWalk ??= this.statuses.entries();
      const next = this.waitingWalk.next();
      if (next.done === true) {
        // Walked to the end: start from the oldest again on the next batch.
        this.waitingWalk = undefined;
        return;
      }
      // keepPacked deletes the entry, or (it cannot be packed) sets it again where it is.
      this.keepPacked(next.value[0], next.value[1], false);
    }
  }

  /**
   * Forgets the oldest status records past `max`: packed ones first (a message on its way keeps
   * its record while there are final ones to forget). Called per enqueued batch, so the records
   * never pass the bound between sweeps.
   */
  private dropStatusesOver(max: number): void {
    while (this.statuses.size + this.packedStatuses.size > max && this.packedStatuses.size > 0) {
      releaseStatus(this.packedStatuses.oldest()!, this.shapes);
      this.packedStatuses.dropOldest();
    }
    if (this.statuses.size <= max) return;
    for (const id of this.statuses.keys()) {
      this.statuses.delete(id);
      if (this.statuses.size <= max) break;
    }
  }
}


/** Forward means a higher rank; FALLBACK may repeat (one per channel step); nothing leaves a final state. */
function movesForward(from: MessageState, to: MessageState): boolean {
  if (isFinalState(from)) return false;
  if (to === 'fallback' || (from === 'fallback' && to === 'routed')) return true;
  // After FALLBACK the next channel starts with ROUTED: a late SUBMITTED of the channel that failed is stale.
  if (from === 'fallback' && to === 'submitted') return false;
  return stateRank(to) > stateRank(from);
}

/**
 * A stale event stays on record (see MessageStore.recordEvents) unless it repeats the current state,
 * a hold or the acceptance, or is a FALLBACK: stale only on a final message, a move that did not happen.
 */
function keepsStaleInHistory(current: MessageState, state: MessageState, historyLength: number): boolean {
  return state !== current && state !== 'accepted' && state !== 'deferred' && state !== 'fallback' && historyLength < MAX_HISTORY_EVENTS;
}
