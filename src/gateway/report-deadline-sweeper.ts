import type { ChooseProvider } from '../channels/provider-choice.js';
import type { Config } from '../config/config.js';
import type { AcceptedMessage } from '../domain/message.js';
import { log } from '../log.js';
import type { EventToRecord, MessageStore, OverdueAttempt } from '../store/store.js';
import { moveOn } from './move-on.js';

export interface ReportDeadlineSweeperDeps {
  readonly store: MessageStore;
  readonly config: () => Config;
  readonly now: () => number;
  readonly chooseProvider: ChooseProvider;
}

/** Deadlines taken per store call (per sweep round); a sweep goes on while rounds come back full. */
const SWEEP_BATCH = 500;
const MAX_ROUNDS_PER_SWEEP = 20;
/** A node that took overdue deadlines and died before storing the moves: another node takes them again after this. */
const MOVE_LEASE_MS = 30_000;

/**
 * Report-driven failover on timeouts (config routing.reportTimeouts): every node sweeps the
 * store's report deadlines; the store hands each overdue attempt to one node only. The message
 * moves to another supplier of its channel not yet tried, else the next channel of its chain, with
 * a FALLBACK event saying which supplier sent no report in time; with neither it ends FAILED
 * REPORT_TIMEOUT. The supplier's late report is then kept in the history only.
 */
export class ReportDeadlineSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: ReportDeadlineSweeperDeps) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then(() => undefined)
        .catch((error: unknown) => log('error', 'sweeping report deadlines failed', { error: (error as Error).message }))
        .finally(() => (this.running = null));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Moves every message whose report deadline passed; returns how many were taken. */
  async sweep(): Promise<number> {
    let total = 0;
    for (let round = 0; round < MAX_ROUNDS_PER_SWEEP; round++) {
      const nowMs = this.deps.now();
      const overdue = await this.deps.store.takeOverdueAttempts(nowMs, SWEEP_BATCH, MOVE_LEASE_MS);
      if (overdue.length > 0) await this.moveAll(overdue, nowMs);
      total += overdue.length;
      if (overdue.length < SWEEP_BATCH) break;
    }
    return total;
  }

  private async moveAll(overdue: readonly OverdueAttempt[], nowMs: number): Promise<void> {
    const events: EventToRecord[] = [];
    const messages: AcceptedMessage[] = [];
    const timeouts = this.deps.config().routing.reportTimeoutsMs;
    for (const { messageId, attempt, plan } of overdue) {
      const [providerId = '', providerRef = ''] = attempt.split('\u0000');
      const timeoutMs = timeouts[plan.channel];
      const reason = `no final delivery report from "${providerId}" within ${timeoutMs === undefined ? 'its report timeout' : formatMs(timeoutMs)}`;
      const moved = moveOn(plan, { providerId, code: 'REPORT_TIMEOUT', reason, atMs: nowMs }, this.deps.chooseProvider);
      if (moved.kind === 'moved') {
        events.push({ event: moved.event, dedupKey: '' });
        messages.push(moved.message);
      } else {
        events.push({
          event: {
            messageId,
            state: 'failed',
            atMs: nowMs,
            channel: plan.channel,
            providerId,
            providerRef,
            code: 'REPORT_TIMEOUT',
            reason: `${reason}, and no other supplier of ${plan.channel} or channel after it`,
            billableUnits: 0,
          },
          dedupKey: '',
        });
      }
    }
    // The deadlines are taken: these writes are retried a few times rather than lose the moves.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.deps.store.recordEvents(events);
        if (messages.length > 0) await this.deps.store.requeueFallbacks(messages, 0);
        await this.deps.store.finishMoves(overdue);
        break;
      } catch (error) {
        if (attempt >= 4) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
    log('info', 'report deadlines passed; messages moved on', { count: overdue.length, requeued: messages.length });
  }
}

/** "30s", "10m", "1500ms": how config writes durations. */
export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
