import type { ProviderHealthSettings } from '../config/config.js';
import type { SubmitOutcome } from './provider-connector.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** What a ProviderHealth tells the outside world (logs, metrics); every change goes through here. */
export interface HealthListener {
  breakerChanged(providerId: string, from: BreakerState, to: BreakerState, why: string): void;
  weightShifted(providerId: string, factor: number, direction: 'down' | 'up', why: string): void;
}

/** A supplier's health at one moment, for the selector's `why` and the operator's list. */
export interface HealthSnapshot {
  readonly breaker: BreakerState;
  /** Retryable rejections and timeouts over answers in the window; 0 below minRequests. */
  readonly errorRate: number;
  /** Answers counted in the window. */
  readonly answers: number;
  /** Share of sampled accepted messages with no final report after reportTimeout; 0 below minRequests. */
  readonly undeliveredShare: number;
  /** 0..1: how much of its configured weight the supplier gets now. */
  readonly weightFactor: number;
}

/**
 * Submit answers that mean the supplier did not answer in time or could not be reached, as opposed
 * to answering "not now". A batch with any of them is one timeout event: one error in the rate, and
 * one step in the run of timeouts that opens the breaker (reset by any accepted message).
 */
const TIMEOUT_CODES = new Set(['STREAM_BROKEN', 'UNAVAILABLE', 'PROVIDER_UNREACHABLE', 'DEADLINE_EXCEEDED', 'TIMEOUT', 'SUBMIT_TIMEOUT']);

/** Buckets per window: the error rate forgets old answers a tenth of a window at a time. */
const BUCKETS_PER_WINDOW = 10;
/** Most accepted messages waiting for their final report per supplier; past it, new ones are not sampled. */
const MAX_TRACKED_DELIVERIES = 10_000;
/** Longest a weight read returns the cached factor without looking at the window again. */
const EVALUATE_EVERY_MS = 1000;
/** Most final reports remembered while their submit answer is still on its way. */
const MAX_EARLY_REPORTS = 1_000;
/**
 * Recent report outcomes (final in time, or not) the undelivered share is computed over: between
 * this many and twice as many, trimmed in chunks (a splice per report moved the whole array).
 */
const MAX_DELIVERY_OUTCOMES = 1_000;

interface Bucket {
  startMs: number;
  ok: number;
  errors: number;
}

/**
 * One supplier's health: answers over a sliding window, a circuit breaker (closed -> open on the
 * error rate or a run of timeouts -> half-open probes after a cooldown -> closed when they succeed),
 * and an adaptive weight factor that steps down while the error rate or the share of messages
 * without a final report is over its threshold and steps back up when both are under. Time comes
 * from `now` only, so tests drive it with a fake clock. State changes happen lazily on reads and
 * records; nothing here runs timers.
 */
export class ProviderHealth {
  private buckets: Bucket[] = [];
  private consecutiveTimeouts = 0;
  private breaker: BreakerState = 'closed';
  private openedAtMs = 0;
  private cooldownMs: number;
  private probesLeft = 0;
  private probeSuccesses = 0;
  private factor = 1;
  private lastShiftAtMs = Number.NEGATIVE_INFINITY;
  /** Last full weight evaluation: reads in between (one per message picked) return the cached factor. */
  private lastEvaluatedAtMs = Number.NEGATIVE_INFINITY;
  /** Accepted messages waiting for a final report, by id, in the order they were accepted. */
  private readonly awaitingReport = new Map<string, number>();
  /** Final reports that came before the submit answer (a fast supplier): counted in time once the answer comes. */
  private readonly earlyReports = new Set<string>();
  /** true: a final report came within reportTimeout; false: it did not. With the time it was decided. */
  private deliveryOutcomes: { atMs: number; late: boolean }[] = [];
  private lateOutcomes = 0;

  constructor(
    readonly providerId: string,
    private settings: ProviderHealthSettings,
    private readonly now: () => number,
    private readonly listener: HealthListener,
  ) {
    this.cooldownMs = settings.openCooldownMs;
  }

  /** New thresholds after a config reload; the measured state is kept. */
  configure(settings: ProviderHealthSettings): void {
    this.settings = settings;
    this.cooldownMs = Math.min(Math.max(this.cooldownMs, settings.openCooldownMs), settings.maxOpenCooldownMs);
  }

  /** One provider batch's answers; `messageIds[i]` is the message of `outcomes[i]`. */
  recordAnswers(outcomes: readonly SubmitOutcome[], messageIds: readonly string[]): void {
    const nowMs = this.now();
    let ok = 0;
    let errors = 0;
    let neutral = 0;
    let timedOut = false;
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i] as SubmitOutcome;
      if (o.kind === 'accepted') {
        ok++;
        const id = messageIds[i];
        if (id !== undefined && this.earlyReports.delete(id)) this.pushDeliveryOutcome(nowMs, false);
        else if (id !== undefined && this.awaitingReport.size < MAX_TRACKED_DELIVERIES) this.awaitingReport.set(id, nowMs);
      } else if (!o.retryable) {
        // A permanent refusal (bad number, expired TTL) says nothing about the supplier's health.
        neutral++;
      } else if (TIMEOUT_CODES.has(o.code)) {
        timedOut = true;
      } else {
        errors++;
      }
    }
    // A broken stream or a missed connection fails every message waiting on it at once: one event,
    // counted once, so one reconnect does not weigh like hundreds of refusals.
    if (timedOut) errors++;
    if (ok > 0) this.consecutiveTimeouts = 0;
    else if (timedOut) this.consecutiveTimeouts++;
    const bucket = this.currentBucket(nowMs);
    bucket.ok += ok;
    bucket.errors += errors;
    this.afterAnswers(ok, errors, neutral, nowMs);
    this.adjustWeight(nowMs, true);
  }

  /** A final delivery report (delivered, failed or expired) arrived for a message. */
  recordFinalReport(messageId: string): void {
    const sentAtMs = this.awaitingReport.get(messageId);
    if (sentAtMs === undefined) {
      // Either not sampled, or the report beat the submit answer; remember a bounded number of the latter.
      if (this.earlyReports.size >= MAX_EARLY_REPORTS) this.earlyReports.delete(this.earlyReports.values().next().value as string);
      this.earlyReports.add(messageId);
      return;
    }
    this.awaitingReport.delete(messageId);
    const nowMs = this.now();
    this.pushDeliveryOutcome(nowMs, nowMs - sentAtMs > this.settings.reportTimeoutMs);
  }

  /** Whether the selector may give this supplier a message now (closed, or half-open with a probe left). */
  canTake(): boolean {
    const state = this.breakerState();
    return state === 'closed' || (state === 'half-open' && this.probesLeft > 0);
  }

  /** The selector gave it a message: in half-open, that uses up one probe. */
  notePicked(): void {
    if (this.breaker === 'half-open' && this.probesLeft > 0) this.probesLeft--;
  }

  breakerState(): BreakerState {
    if (this.breaker === 'open' && this.now() - this.openedAtMs >= this.cooldownMs) {
      this.probesLeft = this.settings.halfOpenProbes;
      this.probeSuccesses = 0;
      this.transition('half-open', `cooldown of ${this.cooldownMs} ms passed; letting ${this.settings.halfOpenProbes} probe messages through`);
    }
    return this.breaker;
  }

  /** The weight factor now (adjusting it first if its cooldown allows). */
  weightFactor(): number {
    this.adjustWeight(this.now());
    return this.factor;
  }

  snapshot(): HealthSnapshot {
    const nowMs = this.now();
    const breaker = this.breakerState();
    const weightFactor = this.weightFactor();
    const { ok, errors } = this.windowCounts(nowMs);
    return { breaker, errorRate: this.errorRate(ok, errors), answers: ok + errors, undeliveredShare: this.undeliveredShare(nowMs), weightFactor };
  }

  private afterAnswers(ok: number, errors: number, neutral: number, nowMs: number): void {
    const s = this.settings;
    if (this.breaker === 'half-open') {
      if (errors > 0) {
        this.cooldownMs = Math.min(this.cooldownMs * 2, s.maxOpenCooldownMs);
        this.open(nowMs, `${errors} of the probe messages failed; next probe in ${this.cooldownMs} ms`);
        return;
      }
      this.probeSuccesses += ok;
      this.probesLeft += neutral; // a probe that proved nothing is given back
      if (this.probeSuccesses >= s.halfOpenProbes) {
        this.cooldownMs = s.openCooldownMs;
        this.buckets = [];
        this.consecutiveTimeouts = 0;
        this.transition('closed', `${this.probeSuccesses} probe messages in a row were accepted`);
      }
      return;
    }
    if (this.breaker !== 'closed') return;
    if (this.consecutiveTimeouts >= s.openTimeouts) {
      this.open(nowMs, `${this.consecutiveTimeouts} timeouts or broken streams in a row (openTimeouts ${s.openTimeouts})`);
      return;
    }
    const counts = this.windowCounts(nowMs);
    const total = counts.ok + counts.errors;
    if (total >= s.minRequests && counts.errors / total >= s.openErrorRate) {
      this.open(nowMs, `error rate ${formatShare(counts.errors / total)} over ${total} answers reached openErrorRate ${formatShare(s.openErrorRate)}`);
    }
  }

  private open(nowMs: number, why: string): void {
    this.openedAtMs = nowMs;
    this.probesLeft = 0;
    this.transition('open', why);
  }

  private transition(to: BreakerState, why: string): void {
    const from = this.breaker;
    this.breaker = to;
    this.listener.breakerChanged(this.providerId, from, to, why);
  }

  /** Steps the weight factor down while degraded, up while healthy, at most once per weightCooldown. */
  private adjustWeight(nowMs: number, force = false): void {
    const s = this.settings;
    if (nowMs - this.lastShiftAtMs < s.weightCooldownMs) return;
    if (!force && nowMs - this.lastEvaluatedAtMs < Math.min(EVALUATE_EVERY_MS, s.weightCooldownMs)) return;
    this.lastEvaluatedAtMs = nowMs;
    const { ok, errors } = this.windowCounts(nowMs);
    const errorRate = ok + errors >= s.minRequests ? errors / (ok + errors) : 0;
    const undelivered = this.undeliveredShare(nowMs);
    const reasons: string[] = [];
    if (errorRate > s.weightErrorRate) reasons.push(`error rate ${formatShare(errorRate)} > weightErrorRate ${formatShare(s.weightErrorRate)}`);
    if (undelivered > s.weightUndeliveredShare) {
      reasons.push(`${formatShare(undelivered)} without a final report after ${s.reportTimeoutMs} ms > weightUndeliveredShare ${formatShare(s.weightUndeliveredShare)}`);
    }
    if (reasons.length > 0 && this.factor > s.minWeightFactor) {
      this.factor = Math.max(s.minWeightFactor, round(this.factor - s.weightStep));
      this.lastShiftAtMs = nowMs;
      this.listener.weightShifted(this.providerId, this.factor, 'down', reasons.join('; '));
    } else if (reasons.length === 0 && this.factor < 1) {
      this.factor = Math.min(1, round(this.factor + s.weightStep));
      this.lastShiftAtMs = nowMs;
      this.listener.weightShifted(this.providerId, this.factor, 'up', `error rate ${formatShare(errorRate)} and undelivered share ${formatShare(undelivered)} are under their thresholds`);
    }
  }

  private currentBucket(nowMs: number): Bucket {
    const width = Math.max(1, Math.floor(this.settings.windowMs / BUCKETS_PER_WINDOW));
    const startMs = nowMs - (nowMs % width);
    const last = this.buckets[this.buckets.length - 1];
    if (last !== undefined && last.startMs === startMs) return last;
    const bucket = { startMs, ok: 0, errors: 0 };
    this.buckets.push(bucket);
    if (this.buckets.length > BUCKETS_PER_WINDOW * 2) this.buckets.splice(0, this.buckets.length - BUCKETS_PER_WINDOW * 2);
    return bucket;
  }

  private windowCounts(nowMs: number): { ok: number; errors: number } {
    let ok = 0;
    let errors = 0;
    const fromMs = nowMs - this.settings.windowMs;
    for (const b of this.buckets) {
      if (b.startMs <= fromMs) continue;
      ok += b.ok;
      errors += b.errors;
    }
    return { ok, errors };
  }

  private errorRate(ok: number, errors: number): number {
    return ok + errors >= this.settings.minRequests ? errors / (ok + errors) : 0;
  }

  /** Moves messages whose report is overdue to the outcomes, then gives the late share of recent outcomes. */
  private undeliveredShare(nowMs: number): number {
    const { reportTimeoutMs, windowMs, minRequests } = this.settings;
    for (const [id, sentAtMs] of this.awaitingReport) {
      if (nowMs - sentAtMs <= reportTimeoutMs) break; // insertion order is time order
      this.awaitingReport.delete(id);
      this.pushDeliveryOutcome(sentAtMs + reportTimeoutMs, true);
    }
    const fromMs = nowMs - windowMs - reportTimeoutMs;
    let start = 0;
    while (start < this.deliveryOutcomes.length && (this.deliveryOutcomes[start] as { atMs: number }).atMs < fromMs) start++;
    this.dropOldestOutcomes(start);
    if (this.deliveryOutcomes.length < minRequests) return 0;
    return this.lateOutcomes / this.deliveryOutcomes.length;
  }

  private pushDeliveryOutcome(atMs: number, late: boolean): void {
    this.deliveryOutcomes.push({ atMs, late });
    if (late) this.lateOutcomes++;
    if (this.deliveryOutcomes.length > 2 * MAX_DELIVERY_OUTCOMES) this.dropOldestOutcomes(this.deliveryOutcomes.length - MAX_DELIVERY_OUTCOMES);
  }

  private dropOldestOutcomes(count: number): void {
    if (count <= 0) return;
    for (let i = 0; i < count; i++) if ((this.deliveryOutcomes[i] as { late: boolean }).late) this.lateOutcomes--;
    this.deliveryOutcomes.splice(0, count);
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function formatShare(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
