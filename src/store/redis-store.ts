import { randomBytes } from 'node:crypto';
import type { RedisStoreSettings } from '../config/config.js';
import { clientRefFingerprint } from '../domain/client-ref-fingerprint.js';
import type { AcceptedMessage, MessagePriority } from '../domain/message.js';
import type { MessageState } from '../domain/message-state.js';
import { acceptedEvent, type InboundEvent, type StatusEvent } from '../domain/status-event.js';
import { log } from '../log.js';
import { CONSUMER_GROUP, LANES, RedisKeys } from './redis-keys.js';
import { Cluster } from 'ioredis';
import { checkEvictionPolicy, createRedisClient, durabilityWarnings, type ScriptedRedis, type ScriptPipeline } from './create-redis-client.js';
import { readReportEntries } from './read-report-entries.js';
import { sealingFor, type Sealing } from './payload-sealer.js';
import { KEEP_PROVIDER_REFS_SCRIPT } from './redis-provider-ref-scripts.js';
import { KEEP_FALLBACK_PLANS_SCRIPT, FINISH_OVERDUE_ATTEMPTS_SCRIPT, SETTLE_ATTEMPTS_SCRIPT, TAKE_FALLBACK_PLANS_SCRIPT, TAKE_OVERDUE_ATTEMPTS_SCRIPT } from './redis-fallback-scripts.js';
import { decodeQueuedMessage, encodeQueuedMessage, tagsJson } from './queued-message-payload.js';
import { decodeStatusEventLine, encodeStatusEventLine } from './status-event-line.js';
import { InvalidCursorError, StoreDataError, StoreFullError, StoreUnavailableError } from './store-errors.js';
import type { OptOutList } from './opt-out-list.js';
import { isNormalOperatorState, type OperatorStates, type StoredOperatorState } from './operator-states.js';
import {
  type ClaimedMessage,
  type EnqueueOutcome,
  type EventToRecord,
  type FailedAttempt,
  type FallbackPlan,
  type FallbackTake,
  type OverdueAttempt,
  type ProviderRef,
  type ReportDeadline,
  type SettledAttempt,
  type MessageStore,
  type RecordOutcome,
  type StatusRecord,
  type StoredReport,
} from './store.js';
import { Waiters } from './waiters.js';

/** Where a claimed message sits, so complete/retry can XACK it. */
interface ClaimedEntry {
  readonly shard: number;
  readonly lane: MessagePriority;
  readonly entryId: string;
  readonly payload: string;
  readonly attempts: number;
  /** When this node claimed the entry; renewals stop MAX_LEASES claimIdle periods later. */
  readonly claimedAtMs: number;
  /** When this node last reset the entry's idle time in Redis (claimed or renewed). */
  renewedAtMs: number;
}

/**
 * How long an idle claim waits before looking again. Reads are single-key (multi-key reads across
 * shards would cross Cluster slots), so instead of blocking in Redis an idle node polls; an enqueue
 * on this node wakes it at once. One idle claim per lane set polls for all (see claim).
 */
const CLAIM_POLL_MS = 20;
/** How often an idle report watcher looks for reports written by other nodes. */
const REPORT_POLL_MS = 100;
/** The record-events script's answer letters. */
const RECORD_OUTCOMES: Readonly<Record<string, RecordOutcome>> = { a: 'applied', s: 'stale', u: 'unknown-message', d: 'duplicate' };
/** The lookupForm scope of client_ref fingerprints (tenant ids, the opt-out scopes, hold no spaces). */
const FINGERPRINT_SCOPE = 'client_ref fingerprint';
/** Joins the per-message fields of a batch into one script argument (see SPLIT_FIELDS in redis-scripts.ts). */
const FIELD_SEPARATOR = '\x1f';
/** Takeover periods (claimIdle) a consumer holding nothing stays idle before it is forgotten. */
const CONSUMER_FORGET_CLAIM_IDLES = 10;
/** How often due retries are moved back to the queues. */
const MOVE_DUE_INTERVAL_MS = 100;
/** How often durability "replicated" counts the replicas in sync (see onlineReplicas). */
const REPLICA_COUNT_INTERVAL_MS = 1000;
/** Renewals stop after this many claimIdle periods (see renewLeases). */
const MAX_LEASES = 10;
/** Entry ids per renew-claims script call. */
const RENEW_CHUNK = 500;

/**
 * The durable store shared by every gateway node: Redis Streams with one consumer group per queue
 * stream, sharded by hash tag, with status, history, dedup keys and report streams beside them
 * (see redis-keys.ts for the layout). Writes are Lua scripts over whole batches. No command spans
 * two shards, so the same code runs on a single Redis, behind Sentinel, and on Redis Cluster.
 * (Over C1's ~400 lines: claim, complete, retry and takeover share the bookkeeping of claimed
 * entries, which is clearer in one class than spread over files.)
 */
export class RedisStore implements MessageStore, OptOutList, OperatorStates {
  private readonly keys: RedisKeys;
  private readonly consumer = `node-${randomBytes(6).toString('hex')}`;
  private readonly claimed = new Map<string, ClaimedEntry>();
  private readonly localReports = new Waiters();
  private readonly localArrivals = new Waiters();
  /** Lane sets (joined) that have an idle claim polling Redis for all idle claims of the set. */
  private readonly pollers = new Set<string>();
  private lastMoveDueMs = 0;
  private lastReclaimMs = 0;
  private lastForgetConsumersMs = 0;
  /**
   * How long a consumer holding nothing stays in a lane's group before it is forgotten: ten
   * takeover periods. Deleting one that holds nothing loses nothing (see FORGET_IDLE_CONSUMERS_SCRIPT),
   * so this only keeps live nodes' quiet lanes from being forgotten and made again.
   */
  private get forgetConsumersAfterMs(): number {
    return CONSUMER_FORGET_CLAIM_IDLES * this.settings.claimIdleMs;
  }
  private readonly leaseTimer: NodeJS.Timeout;
  /**
   * For durability "replicated": the primary's replicas in sync (state=online) at the last look,
   * every one of which WAIT must hear from. WAIT for one of two replicas is not enough: Sentinel
   * picks the replica to promote from offsets it polled up to a second before, and may promote
   * the one without the write (RELIABILITY A5 lost an acked message that way).
   */
  private onlineReplicas = 1;
  private replicaTimer: NodeJS.Timeout | null = null;
  /** A Cluster client cannot pipeline across shards (see sendPerShard). */
  private readonly isCluster: boolean;
  private closed = false;
  /** Seals message contents at rest (store.encryption), or passes them through. */
  private readonly sealing: Sealing;

  private constructor(
    private readonly settings: RedisStoreSettings,
    private readonly redis: ScriptedRedis,
    private readonly now: () => number,
  ) {
    this.keys = new RedisKeys(settings.keyPrefix, settings.shards);
    this.isCluster = redis instanceof Cluster;
    this.sealing = sealingFor(settings.encryption);
    // A third of claimIdle: a claim is renewed at least twice before another node may take it over.
    this.leaseTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(settings.claimIdleMs / 3)));
    this.leaseTimer.unref();
    if (settings.durability === 'replicated') {
      this.replicaTimer = setInterval(() => void this.countOnlineReplicas(), REPLICA_COUNT_INTERVAL_MS);
      this.replicaTimer.unref();
    }
  }

  /**
   * Connects, refuses a Redis that would evict keys, and creates the consumer groups.
   * Fails with a message an operator can act on when Redis is unreachable or misconfigured.
   */
  static async connect(settings: RedisStoreSettings, now: () => number = Date.now): Promise<RedisStore> {
    const redis = createRedisClient(settings);
    try {
      await redis.connect();
      await checkEvictionPolicy(redis);
      for (const warning of await durabilityWarnings(redis, settings.durability)) log('warn', 'Redis is not set up for the configured durability', { warning });
      const store = new RedisStore(settings, redis, now);
      await store.createGroups();
      if (settings.durability === 'replicated') await store.countOnlineReplicas();
      return store;
    } catch (error) {
      redis.disconnect();
      throw error;
    }
  }

  async enqueue(batch: readonly AcceptedMessage[]): Promise<EnqueueOutcome[]> {
    // Message indexes by shard; the stored id carries its shard so any node finds the message from
    // the id alone (the message itself is not copied for it).
    const byShard = new Map<number, number[]>();
    const ids: string[] = new Array(batch.length);
    batch.forEach((m, index) => {
      const shard = this.keys.shardFor(m.tenant, m.clientRef, m.messageId);
      ids[index] = `${m.messageId}.${shard}`;
      let group = byShard.get(shard);
      if (group === undefined) byShard.set(shard, (group = []));
      group.push(index);
    });
    const outcomes: EnqueueOutcome[] = new Array(batch.length);
    const maxQueuedPerShard = Math.ceil(this.settings.maxQueuedMessages / this.settings.shards);
    const groups = [...byShard];
    // A batch is accepted at one instant: its ACCEPTED line is encoded once per distinct time.
    let lineAtMs = Number.NaN;
    let acceptedLine = '';
    const replies = await this.write(
      this.sendPerShard<string[]>(groups.length, (pipeline, g) => {
        const [shard, group] = groups[g] as [number, number[]];
        const fields: (string | number)[] = [];
        for (const index of group) {
          const m = batch[index] as AcceptedMessage;
          const id = ids[index] as string;
          if (m.acceptedAtMs !== lineAtMs) acceptedLine = encodeStatusEventLine(acceptedEvent('', (lineAtMs = m.acceptedAtMs)));
          const fingerprint = m.clientRef === '' ? '' : this.sealing.lookupForm(FINGERPRINT_SCOPE, clientRefFingerprint(m));
          fields.push(id, LANES.indexOf(m.priority) + 1, m.tenant, m.clientRef, tagsJson(m.tags), this.sealing.seal(encodeQueuedMessage(m, id)), acceptedLine, fingerprint);
        }
        const args = [this.keys.tag(shard), this.settings.dedupWindowMs, this.settings.statusRetentionMs, this.settings.reportRetentionPerTenant, maxQueuedPerShard, group.length, fields.join(FIELD_SEPARATOR)];
        pipeline.sbEnqueue(3, ...this.laneKeys4(shard), ...args);
      }),
    );
    groups.forEach(([, group], g) => {
      const results = replies[g] as string[];
      group.forEach((index, j) => {
        const result = results[j] ?? 'F';
        outcomes[index] = result === 'A' ? { kind: 'accepted', messageId: ids[index] as string } : result === 'F' ? { kind: 'queue-full' } : this.repeatOf(batch[index] as AcceptedMessage, result);
      });
    });
    if (outcomes.some((o) => o.kind === 'accepted')) {
      this.localReports.notify();
      this.localArrivals.notify();
    }
    return outcomes;
  }

  /**
   * A message whose client_ref the enqueue script found taken ("D<messageId>\t<fingerprint>"): a
   * duplicate when the stored fingerprint is this message's under any key (or in the clear, from
   * before encryption), or when none was stored (a reference taken before fingerprints); else a
   * conflict.
   */
  private repeatOf(message: AcceptedMessage, reply: string): EnqueueOutcome {
    const tab = reply.indexOf('\t');
    const messageId = tab < 0 ? reply.slice(1) : reply.slice(1, tab);
    const stored = tab < 0 ? '' : reply.slice(tab + 1);
    const same = stored === '' || this.sealing.lookupForms(FINGERPRINT_SCOPE, clientRefFingerprint(message)).includes(stored);
    return { kind: same ? 'duplicate' : 'conflict', messageId };
  }

  /**
   * Idle claims of one lane set share one poller: the first to find nothing looks again every
   * CLAIM_POLL_MS, the others sleep until an enqueue on this node or the poller wakes them. A
   * round trip costs this process ~0.1-0.2 ms of CPU, and every dispatcher loop polling for itself
   * (five loops, 50 polls a second each) cost an idle gateway ~15% of a core. The poller wakes the
   * sleepers when it leaves (with messages, an error or a stop), so one of them polls next.
   */
  async claim(maxCount: number, signal: AbortSignal, lanes: readonly MessagePriority[] = LANES): Promise<ClaimedMessage[]> {
    const perShard = Math.ceil(maxCount / this.settings.shards);
    const pollerKey = lanes.join(',');
    let polling = false;
    try {
      while (!signal.aborted) {
        let replies: string[];
        try {
          await this.housekeeping();
          // Each shard's script reads its lanes urgent first, a lane only when the ones before it could
          // not fill the shard's share; all shards in one write. When one shard's read fails, what the
          // others read is not held (nor renewed) but left to go idle and be taken over.
          replies = await this.read(
            this.sendPerShard<string>(this.settings.shards, (pipeline, shard) => {
              pipeline.sbClaim(lanes.length, ...lanes.map((lane) => this.keys.lane(shard, lane)), CONSUMER_GROUP, this.consumer, perShard);
            }),
          );
        } catch (error) {
          if (!isMissingQueue(error)) throw error;
          await this.makeGroupsAgain(error as Error);
          continue;
        }
        const taken: ClaimedMessage[] = [];
        replies.forEach((reply, shard) => this.collect(shard, lanes, reply, taken));
        if (taken.length > 0) return taken;
        polling = !this.pollers.has(pollerKey);
        if (!polling) {
          await this.localArrivals.wait(signal);
          continue;
        }
        this.pollers.add(pollerKey);
        try {
          await this.localArrivals.waitAtMost(CLAIM_POLL_MS, signal);
        } finally {
          this.pollers.delete(pollerKey);
        }
      }
      return [];
    } finally {
      if (polling) this.localArrivals.notify();
    }
  }

  async complete(messageIds: readonly string[]): Promise<void> {
    // One XACK and one XDEL per stream for the whole batch.
    const entriesByStream = new Map<string, string[]>();
    for (const id of messageIds) {
      const entry = this.claimed.get(id);
      if (entry === undefined) continue;
      this.claimed.delete(id);
      const stream = this.keys.lane(entry.shard, entry.lane);
      let entries = entriesByStream.get(stream);
      if (entries === undefined) entriesByStream.set(stream, (entries = []));
      entries.push(entry.entryId);
    }
    if (entriesByStream.size === 0) return;
    // One XACK and one XDEL per stream, all in one write (a stream's two share its slot on a cluster).
    const streams = [...entriesByStream];
    await this.write(
      this.sendPerShard(streams.length, (pipeline, i) => {
        const [stream, entries] = streams[i] as [string, string[]];
        pipeline.xack(stream, CONSUMER_GROUP, ...entries).xdel(stream, ...entries);
      }),
    );
  }

  async retryLater(messages: readonly ClaimedMessage[], delayMs: number): Promise<void> {
    // Parked as claimed (its payload and attempts), back in its own lane when due.
    await this.parkClaimed(
      messages.map(({ message }) => message.messageId),
      (entry) => `${LANES.indexOf(entry.lane) + 2}|${entry.attempts}|${entry.payload}`,
      this.now() + delayMs,
    );
  }

  async recordEvents(events: readonly EventToRecord[]): Promise<RecordOutcome[]> {
    const outcomes: RecordOutcome[] = new Array(events.length).fill('unknown-message');
    // Per shard, each message's events side by side (in their order): the script applies a run of
    // one message's events (ROUTED then SUBMITTED of a dispatch) with one GET and one SET.
    const byShard = new Map<number, Map<string, number[]>>();
    events.forEach(({ event }, i) => {
      const shard = this.keys.shardOf(event.messageId);
      if (shard < 0) return;
      let messages = byShard.get(shard);
      if (messages === undefined) byShard.set(shard, (messages = new Map()));
      const indexes = messages.get(event.messageId);
      if (indexes === undefined) messages.set(event.messageId, [i]);
      else indexes.push(i);
    });
    const groups = [...byShard].map(([shard, messages]) => [shard, [...messages.values()].flat()] as const);
    const replies = await this.write(
      this.sendPerShard<string>(groups.length, (pipeline, g) => {
        const [shard, indexes] = groups[g] as readonly [number, number[]];
        const fields: string[] = [];
        for (const i of indexes) {
          const { event, dedupKey } = events[i] as EventToRecord;
          // Report ids come from suppliers: keep the separator out of them (an injective escape).
          fields.push(event.messageId, events[i]?.historyOnly === true ? `~${event.state}` : event.state, encodeStatusEventLine(event), dedupKey === '' ? '' : dedupKey.replace(/%/g, '%25').replace(/\x1f/g, '%1F'));
        }
        const args = [this.keys.tag(shard), this.settings.dedupWindowMs, this.settings.reportRetentionPerTenant, indexes.length, fields.join(FIELD_SEPARATOR)];
        // The shard's queue key is declared (not used) so the script runs on the node that owns the shard's slot.
        pipeline.sbRecordEvents(1, this.keys.lane(shard, 'normal'), ...args);
      }),
    );
    groups.forEach(([, indexes], g) => {
      const results = replies[g] as string;
      indexes.forEach((i, j) => (outcomes[i] = RECORD_OUTCOMES[results.charAt(j)] ?? 'unknown-message'));
    });
    this.localReports.notify();
    return outcomes;
  }

  async recordInbound(events: readonly { readonly event: InboundEvent; readonly dedupKey: string }[]): Promise<void> {
    if (events.length === 0) return;
    const byShard = new Map<number, { event: InboundEvent; dedupKey: string }[]>();
    for (const item of events) {
      const shard = this.keys.shardFor(item.event.tenant, '', item.dedupKey || `${item.event.from}:${item.event.receivedAtMs}`);
      let group = byShard.get(shard);
      if (group === undefined) byShard.set(shard, (group = []));
      group.push(item);
    }
    await this.write(
      [...byShard].map(([shard, group]) => {
        const args: (string | number)[] = [this.keys.tag(shard), this.settings.dedupWindowMs, this.settings.reportRetentionPerTenant, group.length];
        for (const { event, dedupKey } of group) args.push(event.tenant, this.sealing.seal(JSON.stringify(event)), dedupKey);
        return this.redis.sbRecordInbound(1, this.keys.lane(shard, 'normal'), ...args);
      }),
    );
    this.localReports.notify();
  }

  async getStatus(tenant: string, messageId: string): Promise<StatusRecord | undefined> {
    const record = await this.readRecord(messageId);
    if (record === undefined || record.tenant !== tenant) return undefined;
    return {
      messageId,
      tenant,
      clientRef: record.clientRef,
      state: record.state,
      history: record.history.map((line) => decodeStatusEventLine(messageId, line)),
      tags: JSON.parse(record.tags) as string[],
    };
  }

  async getTenantOf(messageId: string): Promise<string | undefined> {
    return (await this.readRecord(messageId))?.tenant;
  }

  /** Reads a message record: "<state>\t<tenant>\t<clientRef>\t<tagsJson>" then one line per status event (redis-scripts.ts). */
  private async readRecord(messageId: string): Promise<{ state: MessageState; tenant: string; clientRef: string; tags: string; history: string[] } | undefined> {
    const shard = this.keys.shardOf(messageId);
    if (shard < 0) return undefined;
    const text = await this.read(this.redis.get(this.keys.message(shard, messageId)));
    if (text === null) return undefined;
    const [header = '', ...history] = text.split('\n');
    const [state = '', tenant = '', clientRef = '', ...tags] = header.split('\t');
    return { state: state as MessageState, tenant, clientRef, tags: tags.join('\t') || '[]', history };
  }

  /**
   * Cursors hold one position per shard (see read-report-entries.ts). Reports of one message are
   * in order (one shard); across shards they interleave.
   */
  async readReports(tenant: string, cursor: string, maxCount: number, signal: AbortSignal): Promise<StoredReport[]> {
    const keys = Array.from({ length: this.settings.shards }, (_, shard) => this.keys.reports(shard, tenant));
    const positions = cursor === 'oldest' ? keys.map(() => '0-0') : cursor === '' ? (await this.latestCursor(tenant)).split(',') : cursor.split(',');
    if (positions.length !== keys.length || positions.some((p) => !/^\d+-\d+(\/\d+)?$/.test(p))) {
      throw new InvalidCursorError(`cursor ${JSON.stringify(cursor)} is not a cursor this gateway issued`);
    }
    while (!signal.aborted) {
      const reports = await this.read(readReportEntries(this.redis, keys, positions, maxCount, this.sealing));
      if (reports.length > 0) return reports;
      // Other nodes write reports too, so poll; a local write wakes the watcher at once.
      await this.localReports.waitAtMost(REPORT_POLL_MS, signal);
    }
    return [];
  }

  async latestCursor(tenant: string): Promise<string> {
    const positions = await this.read(
      Promise.all(
        Array.from({ length: this.settings.shards }, (_, shard) =>
          (this.redis.xinfo('STREAM', this.keys.reports(shard, tenant)) as Promise<unknown[]>).then(
            (fields) => String(fields[fields.indexOf('last-generated-id') + 1] ?? '0-0'),
            (error: Error) => {
              if (error.message.includes('no such key')) return '0-0'; // no report on this shard yet
              throw error;
            },
          ),
        ),
      ),
    );
    return positions.join(',');
  }

  async keepFallbackPlans(plans: readonly FallbackPlan[]): Promise<void> {
    const byShard = this.groupByShard(plans, (plan) => plan.message.messageId);
    await this.write(
      [...byShard].map(([shard, group]) => {
        const args: (string | number)[] = [this.keys.tag(shard), this.settings.statusRetentionMs, group.length];
        for (const plan of group) args.push(plan.message.messageId, this.sealing.seal(JSON.stringify(plan)));
        return this.redis.eval(KEEP_FALLBACK_PLANS_SCRIPT, 1, this.keys.lane(shard, 'normal'), ...args);
      }),
    );
  }

  async takeFallbackPlans(failures: readonly FailedAttempt[]): Promise<FallbackTake[]> {
    const takes: FallbackTake[] = failures.map(() => ({ kind: 'none' }));
    const byShard = this.groupByShard(
      failures.map((failure, index) => ({ failure, index })),
      (item) => item.failure.messageId,
    );
    await this.write(
      [...byShard].map(async ([shard, group]) => {
        const args: (string | number)[] = [this.keys.tag(shard), group.length];
        for (const { failure } of group) args.push(failure.messageId, failure.attempt);
        const results = (await this.redis.eval(TAKE_FALLBACK_PLANS_SCRIPT, 1, this.keys.lane(shard, 'normal'), ...args)) as string[];
        group.forEach(({ index }, j) => {
          const result = results[j] ?? 'N';
          takes[index] = result === 'S' ? { kind: 'superseded' } : result.startsWith('P') ? { kind: 'plan', plan: this.planOf(result.slice(1)) } : { kind: 'none' };
        });
      }),
    );
    return takes;
  }

  async requeueFallbacks(messages: readonly AcceptedMessage[], delayMs: number): Promise<void> {
    const dueMs = this.now() + delayMs;
    const byShard = this.groupByShard(messages, (m) => m.messageId);
    // Parked in the shard's delayed set like a retry (member "<lane>|<attempts>|<payload>", see
    // RETRY_LATER_SCRIPT); the periodic move puts them back in their queue as new entries.
    await this.write([...byShard].map(([shard, group]) => this.redis.zadd(this.keys.delayed(shard), ...group.flatMap((m) => [dueMs, `${LANES.indexOf(m.priority) + 2}|0|${this.sealing.seal(encodeQueuedMessage(m))}`]))));
  }

  async completeAsFallbacks(moved: readonly AcceptedMessage[]): Promise<void> {
    // Parked as the moved message (new payload, no attempts, its own lane), due now.
    const byId = new Map(moved.map((m) => [m.messageId, m]));
    await this.parkClaimed(
      [...byId.keys()],
      (_, messageId) => {
        const message = byId.get(messageId) as AcceptedMessage;
        return `${LANES.indexOf(message.priority) + 2}|0|${this.sealing.seal(encodeQueuedMessage(message))}`;
      },
      this.now(),
    );
  }

  async keepReportDeadlines(deadlines: readonly ReportDeadline[]): Promise<void> {
    const byShard = this.groupByShard(deadlines, (d) => d.messageId);
    await this.write([...byShard].map(([shard, group]) => this.redis.zadd(this.keys.reportDeadlines(shard), ...group.flatMap((d) => [d.dueMs, `${d.messageId}\t${d.attempt}`]))));
  }

  async settleAttempts(reports: readonly SettledAttempt[]): Promise<FallbackTake[]> {
    const takes: FallbackTake[] = reports.map(() => ({ kind: 'none' }));
    const byShard = this.groupByShard(
      reports.map((report, index) => ({ report, index })),
      (item) => item.report.messageId,
    );
    await this.write(
      [...byShard].map(async ([shard, group]) => {
        const args: (string | number)[] = [this.keys.tag(shard), group.length];
        for (const { report } of group) args.push(report.messageId, report.attempt, report.failed ? 1 : 0, report.reportId);
        const results = (await this.redis.eval(SETTLE_ATTEMPTS_SCRIPT, 1, this.keys.reportDeadlines(shard), ...args)) as string[];
        group.forEach(({ index }, j) => {
          const result = results[j] ?? 'N';
          takes[index] = result === 'S' ? { kind: 'superseded' } : result === 'L' ? { kind: 'late' } : result.startsWith('P') ? { kind: 'plan', plan: this.planOf(result.slice(1)) } : { kind: 'none' };
        });
      }),
    );
    return takes;
  }

  async takeOverdueAttempts(nowMs: number, maxCount: number, leaseMs: number): Promise<OverdueAttempt[]> {
    const perShard = Math.max(1, Math.ceil(maxCount / this.settings.shards));
    const pending = Array.from(
      { length: this.settings.shards },
      (_, shard) => this.redis.eval(TAKE_OVERDUE_ATTEMPTS_SCRIPT, 1, this.keys.reportDeadlines(shard), this.keys.tag(shard), nowMs, perShard, leaseMs) as Promise<string[]>,
    );
    await this.write(pending);
    const results = await Promise.all(pending);
    const overdue: OverdueAttempt[] = [];
    for (const flat of results) {
      for (let j = 0; j + 2 < flat.length; j += 3) {
        const member = flat[j] as string;
        const tab = member.indexOf('\t');
        overdue.push({ messageId: member.slice(0, tab), attempt: member.slice(tab + 1), dueMs: Number(flat[j + 1]), plan: this.planOf(flat[j + 2] as string) });
      }
    }
    return overdue;
  }

  async finishMoves(moves: readonly { readonly messageId: string; readonly attempt: string }[]): Promise<void> {
    const byShard = this.groupByShard(moves, (o) => o.messageId);
    await this.write(
      [...byShard].map(([shard, group]) => {
        const args: (string | number)[] = [this.keys.tag(shard), group.length];
        for (const o of group) args.push(o.messageId, o.attempt);
        return this.redis.eval(FINISH_OVERDUE_ATTEMPTS_SCRIPT, 1, this.keys.reportDeadlines(shard), ...args);
      }),
    );
  }

  async keepProviderRefs(refs: readonly ProviderRef[]): Promise<void> {
    const byShard = new Map<number, ProviderRef[]>();
    for (const r of refs) {
      const shard = this.keys.shardOfProviderRef(r.providerId, r.providerRef);
      let group = byShard.get(shard);
      if (group === undefined) byShard.set(shard, (group = []));
      group.push(r);
    }
    await this.write(
      [...byShard].map(([shard, group]) => {
        const args: (string | number)[] = [this.keys.tag(shard), this.settings.statusRetentionMs, group.length];
        for (const r of group) args.push(`${r.providerId}\t${r.providerRef}`, r.messageId);
        return this.redis.eval(KEEP_PROVIDER_REFS_SCRIPT, 1, this.keys.lane(shard, 'normal'), ...args);
      }),
    );
  }

  async findByProviderRefs(providerId: string, providerRefs: readonly string[]): Promise<string[]> {
    const found: string[] = providerRefs.map(() => '');
    const byShard = new Map<number, number[]>();
    providerRefs.forEach((ref, i) => {
      const shard = this.keys.shardOfProviderRef(providerId, ref);
      let group = byShard.get(shard);
      if (group === undefined) byShard.set(shard, (group = []));
      group.push(i);
    });
    await Promise.all(
      [...byShard].map(async ([shard, indexes]) => {
        // One slot per shard, so one MGET per shard also on Redis Cluster.
        const ids = await this.read(this.redis.mget(...indexes.map((i) => this.keys.providerRef(shard, providerId, providerRefs[i] as string))));
        indexes.forEach((i, j) => (found[i] = ids[j] ?? ''));
      }),
    );
    return found;
  }

  /** Items by the shard of their message id; ids that are not this store's are left out. */
  private groupByShard<T>(items: readonly T[], idOf: (item: T) => string): Map<number, T[]> {
    const byShard = new Map<number, T[]>();
    for (const item of items) {
      const shard = this.keys.shardOf(idOf(item));
      if (shard < 0) continue;
      let group = byShard.get(shard);
      if (group === undefined) byShard.set(shard, (group = []));
      group.push(item);
    }
    return byShard;
  }

  // With store.encryption the opt-out sets hold keyed hashes of the numbers (PayloadSealer.lookupForm),
  // and a number counts as on the list in any of its forms (hashed under any listed key, or as it
  // was stored before encryption). Without it a number has one form, the number itself.

  async addOptOuts(tenant: string, phoneNumbers: readonly string[]): Promise<number> {
    if (phoneNumbers.length === 0) return 0;
    const key = this.keys.optOuts(tenant);
    const listed = this.settings.encryption === null ? null : await this.findOptedOut(tenant, phoneNumbers);
    let added = 0;
    await this.write([this.redis.sadd(key, ...phoneNumbers.map((n) => this.sealing.lookupForm(tenant, n))).then((n) => void (added = n))]);
    return listed === null ? added : new Set(phoneNumbers.filter((n) => !listed.has(n))).size;
  }

  async removeOptOuts(tenant: string, phoneNumbers: readonly string[]): Promise<number> {
    if (phoneNumbers.length === 0) return 0;
    const key = this.keys.optOuts(tenant);
    const listed = this.settings.encryption === null ? null : await this.findOptedOut(tenant, phoneNumbers);
    let removed = 0;
    await this.write([this.redis.srem(key, ...phoneNumbers.flatMap((n) => this.sealing.lookupForms(tenant, n))).then((n) => void (removed = n))]);
    return listed === null ? removed : listed.size;
  }

  async findOptedOut(tenant: string, phoneNumbers: readonly string[]): Promise<Set<string>> {
    if (phoneNumbers.length === 0) return new Set();
    const forms = phoneNumbers.map((n) => this.sealing.lookupForms(tenant, n));
    const flags = await this.read(this.redis.smismember(this.keys.optOuts(tenant), ...forms.flat()));
    const found = new Set<string>();
    let at = 0;
    forms.forEach((numberForms, i) => {
      for (let f = 0; f < numberForms.length; f++) if (flags[at + f] === 1) found.add(phoneNumbers[i] as string);
      at += numberForms.length;
    });
    return found;
  }

  async readOperatorStates(): Promise<Map<string, StoredOperatorState>> {
    const fields = await this.read(this.redis.hgetall(this.keys.operatorStates()));
    const states = new Map<string, StoredOperatorState>();
    for (const [providerId, json] of Object.entries(fields)) {
      const { drained, preferred } = JSON.parse(json) as StoredOperatorState;
      states.set(providerId, { drained: drained === true, preferred: preferred === true });
    }
    return states;
  }

  async keepOperatorStates(states: ReadonlyMap<string, StoredOperatorState>): Promise<void> {
    const args: string[] = [];
    for (const [providerId, state] of states) args.push(providerId, isNormalOperatorState(state) ? '' : JSON.stringify({ drained: state.drained, preferred: state.preferred }));
    // One script: a switch (one supplier drained, another preferred) lands on every node at once.
    await this.write(this.redis.eval(KEEP_OPERATOR_STATES_SCRIPT, 1, this.keys.operatorStates(), ...args));
  }

  async close(): Promise<void> {
    clearInterval(this.leaseTimer);
    if (this.replicaTimer !== null) clearInterval(this.replicaTimer);
    if (this.closed) return;
    this.closed = true;
    this.localReports.notify();
    this.localArrivals.notify();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /**
   * Ends this node's claims of the given messages and parks a member per message in its shard's
   * delayed set (see RETRY_LATER_SCRIPT: ack, delete and park in one step per shard); a message
   * this node holds no claim of is skipped. `member` gives "<lane>|<attempts>|<payload>".
   */
  private async parkClaimed(messageIds: readonly string[], member: (entry: ClaimedEntry, messageId: string) => string, dueMs: number): Promise<void> {
    const byShard = new Map<number, string[]>();
    for (const messageId of messageIds) {
      const entry = this.claimed.get(messageId);
      if (entry === undefined) continue;
      this.claimed.delete(messageId);
      let args = byShard.get(entry.shard);
      if (args === undefined) byShard.set(entry.shard, (args = []));
      args.push(String(LANES.indexOf(entry.lane) + 2), entry.entryId, member(entry, messageId));
    }
    const groups = [...byShard];
    await this.write(
      this.sendPerShard(groups.length, (pipeline, g) => {
        const [shard, args] = groups[g] as [number, string[]];
        pipeline.sbRetryLater(4, this.keys.delayed(shard), ...this.laneKeys4(shard), CONSUMER_GROUP, dueMs, args.length / 3, ...args);
      }),
    );
  }

  private laneKeys4(shard: number): string[] {
    return LANES.map((lane) => this.keys.lane(shard, lane));
  }

  /**
   * The message of a queue entry, or null when this node cannot open it (sealed with a key it does
   * not hold): the entry stays pending, unclaimed here, and is offered again at the next takeover,
   * so nothing is lost while the operator puts the key back; the log says which key.
   */
  private openQueued(payload: string, entryId: string): AcceptedMessage | null {
    try {
      return decodeQueuedMessage(this.sealing.open(payload));
    } catch (error) {
      if (!(error instanceof StoreDataError)) throw error;
      log('error', 'a queued message cannot be opened; it stays queued', { entryId, error: error.message });
      return null;
    }
  }

  /** Reads how many replicas are in sync with the primary now (INFO replication, state=online). */
  private async countOnlineReplicas(): Promise<void> {
    try {
      const info = await this.redis.info('replication');
      this.onlineReplicas = info.split('\n').filter((line) => /^slave\d+:.*state=online/.test(line)).length;
    } catch {
      // Unreachable for now: the writes fail on their own; keep the last count.
    }
  }

  /** A fallback plan as keepFallbackPlans stored it. */
  private planOf(stored: string): FallbackPlan {
    return JSON.parse(this.sealing.open(stored)) as FallbackPlan;
  }

  /** Holds and hands out the entries of one shard's claim reply (see CLAIM_SCRIPT for its layout). */
  private collect(shard: number, lanes: readonly MessagePriority[], reply: string, into: ClaimedMessage[]): void {
    if (reply === '') return;
    const nowMs = this.now(); // one clock read per reply, not two per message
    const fields = reply.split(FIELD_SEPARATOR);
    for (let f = 0; f + 3 < fields.length; f += 4) {
      const payload = fields[f + 3] as string;
      // An entry without a message (not one this store wrote) stays pending; takeover acks it.
      if (payload === '') continue;
      const lane = lanes[Number(fields[f]) - 1] ?? 'normal';
      const attempts = Number(fields[f + 2]) + 1;
      const message = this.openQueued(payload, fields[f + 1] as string);
      if (message === null) continue;
      this.claimed.set(message.messageId, { shard, lane, entryId: fields[f + 1] as string, payload, attempts, claimedAtMs: nowMs, renewedAtMs: nowMs });
      into.push({ message, deliveryCount: attempts });
    }
  }

  /** Periodic work done by claiming nodes: due retries back to the queues, dead nodes' messages reclaimed. */
  private async housekeeping(): Promise<void> {
    const now = this.now();
    if (now - this.lastMoveDueMs >= MOVE_DUE_INTERVAL_MS) {
      this.lastMoveDueMs = now;
      await this.sendPerShard(this.settings.shards, (pipeline, shard) => {
        pipeline.sbMoveDue(4, this.keys.delayed(shard), ...this.laneKeys4(shard), now, 500);
      });
    }
    if (now - this.lastReclaimMs >= Math.max(1000, this.settings.claimIdleMs / 2)) {
      this.lastReclaimMs = now;
      await this.reclaimIdle();
    }
    if (now - this.lastForgetConsumersMs >= this.forgetConsumersAfterMs / 4) {
      this.lastForgetConsumersMs = now;
      await this.forgetIdleConsumers();
    }
  }

  /**
   * Forgets the consumers that nodes gone (crashed, restarted, scaled in) left in the lanes' groups,
   * once their claims were taken over and they stayed idle forgetConsumersAfterMs (RELIABILITY E3).
   */
  private async forgetIdleConsumers(): Promise<void> {
    let forgotten = 0;
    for (let shard = 0; shard < this.settings.shards; shard++) {
      for (const lane of LANES) {
        forgotten += await this.redis.sbForgetIdleConsumers(this.keys.lane(shard, lane), CONSUMER_GROUP, this.consumer, this.forgetConsumersAfterMs);
      }
    }
    if (forgotten > 0) log('info', 'forgot the stream consumers of nodes gone, holding nothing', { count: forgotten, idleAtLeastMs: this.forgetConsumersAfterMs });
  }

  /**
   * Keeps this node's claims from looking idle while it still works on them: claims older than a
   * third of claimIdle get their idle time reset (see RENEW_CLAIMS_SCRIPT). Without it another node
   * would take over, and send again, a batch that waits longer than claimIdle on a slow or throttled
   * supplier, or that a loaded node finishes draining after SIGTERM. A node that dies stops
   * renewing, so its claims go idle and are taken over as before.
   */
  private async renewLeases(): Promise<void> {
    const nowMs = this.now();
    const dueMs = nowMs - this.settings.claimIdleMs / 3;
    // A safety net: a claim held this long is not being worked on (a path that lost it), so it is
    // left to go idle and be taken over rather than kept from every node for ever.
    const expiredMs = nowMs - MAX_LEASES * this.settings.claimIdleMs;
    const byStream = new Map<string, ClaimedEntry[]>();
    for (const [messageId, entry] of this.claimed) {
      if (entry.renewedAtMs > dueMs) continue;
      if (entry.claimedAtMs <= expiredMs) {
        log('warn', 'a claimed message was held too long; it is left to be taken over', { messageId, heldMs: nowMs - entry.claimedAtMs });
        this.claimed.delete(messageId);
        continue;
      }
      const stream = this.keys.lane(entry.shard, entry.lane);
      let entries = byStream.get(stream);
      if (entries === undefined) byStream.set(stream, (entries = []));
      entries.push(entry);
    }
    for (const [stream, entries] of byStream) {
      for (let i = 0; i < entries.length; i += RENEW_CHUNK) {
        const chunk = entries.slice(i, i + RENEW_CHUNK);
        const renewedAtMs = this.now();
        try {
          await this.redis.sbRenewClaims(stream, CONSUMER_GROUP, this.consumer, ...chunk.map((e) => e.entryId));
          for (const entry of chunk) entry.renewedAtMs = renewedAtMs;
        } catch (error) {
          // Tried again on the next tick; a Redis that stays away makes the claims lapse, as for a dead node.
          log('warn', 'renewing claimed messages failed', { stream, count: chunk.length, error: (error as Error).message });
        }
      }
    }
  }

  /**
   * Messages claimed by a node that died stay pending in the group; after claimIdleMs this node
   * takes them over (same message id, so providers can drop duplicates). Those claimed too often
   * go to the dead-letter stream instead of looping.
   */
  private async reclaimIdle(): Promise<void> {
    for (let shard = 0; shard < this.settings.shards; shard++) {
      for (const lane of LANES) {
        const stream = this.keys.lane(shard, lane);
        const idle = (await this.redis.xpending(stream, CONSUMER_GROUP, 'IDLE', this.settings.claimIdleMs, '-', '+', 100)) as [string, string, number, number][];
        // This node's own claims that it still works on (a renewal came late) are not taken over: that would send them twice.
        const held = idle.some(([, consumer]) => consumer === this.consumer) ? this.heldEntryIds() : undefined;
        const pending = held === undefined ? idle : idle.filter(([id, consumer]) => consumer !== this.consumer || !held.has(id));
        if (pending.length === 0) continue;
        const ids = pending.map(([id]) => id);
        const entries = (await this.redis.call('XCLAIM', stream, CONSUMER_GROUP, this.consumer, this.settings.claimIdleMs, ...ids)) as [string, string[] | null][];
        const deliveries = new Map(pending.map(([id, , , count]) => [id, count]));
        const dead: [string, string, AcceptedMessage][] = [];
        const revived: ClaimedMessage[] = [];
        const reclaimedAtMs = this.now();
        for (const [entryId, fields] of entries) {
          const payload = fields === null ? undefined : fieldOf(fields, 'm');
          if (payload === undefined) {
            await this.redis.xack(stream, CONSUMER_GROUP, entryId);
            continue;
          }
          const message = this.openQueued(payload, entryId);
          if (message === null) continue;
          // Only this entry's own hand-outs count: a message that died with its node that often is poison.
          // Retries after provider refusals are new entries and never dead-letter (they wait out the TTL).
          const handOuts = (deliveries.get(entryId) ?? 1) + 1;
          const count = Number(fieldOf(fields ?? [], 'a') ?? '0') + handOuts;
          if (handOuts > this.settings.maxDeliveries) dead.push([entryId, payload, message]);
          else {
            this.claimed.set(message.messageId, { shard, lane, entryId, payload, attempts: count, claimedAtMs: reclaimedAtMs, renewedAtMs: reclaimedAtMs });
            revived.push({ message, deliveryCount: count });
          }
        }
        if (revived.length > 0) {
          log('warn', 'reclaimed messages of a node that stopped answering', { stream, count: revived.length });
          // Put them back at the front of the normal flow by parking them as due now.
          await this.retryLater(revived, 0);
        }
        if (dead.length > 0) await this.deadLetter(shard, stream, dead);
      }
    }
  }

  private heldEntryIds(): Set<string> {
    const ids = new Set<string>();
    for (const entry of this.claimed.values()) ids.add(entry.entryId);
    return ids;
  }

  private async deadLetter(shard: number, stream: string, dead: [string, string, AcceptedMessage][]): Promise<void> {
    const args: (string | number)[] = [CONSUMER_GROUP, this.settings.reportRetentionPerTenant, this.keys.tag(shard), dead.length];
    for (const [entryId, payload, message] of dead) {
      const event: StatusEvent = {
        messageId: message.messageId,
        state: 'failed',
        atMs: this.now(),
        channel: null,
        providerId: '',
        providerRef: '',
        code: 'DEAD_LETTER',
        reason: `taken over more than ${this.settings.maxDeliveries} times from nodes that stopped while holding it; moved to the dead-letter stream`,
        billableUnits: 0,
      };
      args.push(entryId, message.messageId, payload, encodeStatusEventLine(event));
    }
    log('error', 'moved messages to the dead-letter stream', { stream, count: dead.length });
    await this.redis.sbDeadLetter(1 + dead.length, this.keys.dead(shard), ...dead.map(() => stream), ...args);
  }

  /**
   * The lanes' streams or their consumer group are gone: Redis restarted without its data, was
   * flushed, or a replica without them was promoted. Enqueues go on working (XADD makes a stream
   * again), so without this every claim failed with NOGROUP until the node restarted, while the
   * node kept acking messages it would never send.
   */
  private async makeGroupsAgain(error: Error): Promise<void> {
    log('error', 'the queue streams or their consumer group are gone from Redis (restarted without its data, flushed, or a replica without them promoted): what was queued before is lost; making them again', { error: error.message });
    await this.createGroups();
  }

  private async createGroups(): Promise<void> {
    for (let shard = 0; shard < this.settings.shards; shard++) {
      for (const lane of LANES) {
        await this.redis.xgroup('CREATE', this.keys.lane(shard, lane), CONSUMER_GROUP, '0', 'MKSTREAM').catch((error: Error) => {
          if (!error.message.includes('BUSYGROUP')) throw error;
        });
      }
    }
  }

  /** Runs writes; then, for "replicated", waits until a replica has them. Maps Redis failures to store errors. */
  private async write<T>(operations: Promise<T> | Promise<unknown>[]): Promise<T> {
    try {
      const result = (await (Array.isArray(operations) ? Promise.all(operations) : operations)) as T;
      if (this.settings.durability === 'replicated') {
        const needed = Math.max(1, this.onlineReplicas);
        const replicas = await this.redis.wait(needed, this.settings.replicaWaitTimeoutMs);
        if (replicas < needed) {
          const timeout = this.settings.replicaWaitTimeoutMs;
          throw new StoreUnavailableError(replicas === 0 ? `no replica confirmed the write within ${timeout} ms` : `${replicas} of the ${needed} replicas in sync confirmed the write within ${timeout} ms`);
        }
      }
      return result;
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /**
   * Queues `count` items' commands (`add` puts item i's on a pipeline) and returns every command's
   * reply in order, failing with the first error. On a single Redis (or Sentinel's primary) all of
   * them go in one pipeline: a call that spans every shard costs one socket write and one read
   * instead of one per command, on both sides. On a Cluster each item gets its own pipeline, since
   * one may not span slots (an item's commands share its shard's slot).
   */
  private async sendPerShard<T>(count: number, add: (pipeline: ScriptPipeline, item: number) => void): Promise<T[]> {
    const pipelines: ScriptPipeline[] = [];
    for (let i = 0; i < count; i++) {
      if (i === 0 || this.isCluster) pipelines.push(this.redis.pipeline() as ScriptPipeline);
      add(pipelines[pipelines.length - 1] as ScriptPipeline, i);
    }
    const replies: T[] = [];
    for (const results of await Promise.all(pipelines.map((pipeline) => pipeline.exec()))) {
      for (const [error, reply] of results ?? []) {
        if (error !== null) throw error;
        replies.push(reply as T);
      }
    }
    return replies;
  }

  private async read<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      throw toStoreError(error);
    }
  }
}

/** KEYS: the operator HASH. ARGV: pairs of providerId and state JSON ('' removes the supplier's override). */
const KEEP_OPERATOR_STATES_SCRIPT = `
for j = 1, #ARGV, 2 do
  if ARGV[j + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[j]) else redis.call('HSET', KEYS[1], ARGV[j], ARGV[j + 1]) end
end
return #ARGV / 2
`;

/** A Redis error saying a lane stream or its consumer group does not exist (see makeGroupsAgain). */
function isMissingQueue(error: unknown): boolean {
  return error instanceof Error && /NOGROUP|no such key/.test(error.message);
}

function toStoreError(error: unknown): Error {
  if (error instanceof StoreUnavailableError || error instanceof StoreFullError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('OOM')) return new StoreFullError(`Redis is out of memory: ${message}`, { cause: error });
  return new StoreUnavailableError(`Redis is unavailable: ${message}`, { cause: error });
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
