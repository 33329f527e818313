/**
 * A budget of event-loop time per turn for bulk work, so an urgent unary Send does not wait behind
 * a campaign's backlog. Bulk pieces (a SendStream group, a dispatch batch, a report frame) ask
 * before they run. The first piece of a turn always runs; later ones run while the turn has spent
 * less than the budget on them; the rest wait, in order, until the next turn's check phase, that is
 * until after the next poll has read every socket, an OTP's request and the writes of its answer
 * among them. Urgent pieces never ask.
 *
 * Without it, a gateway that fell behind (a GC pause, a moment without a CPU) ran the whole backlog
 * of its bulk streams in one turn, tens of milliseconds, before it read the request of an urgent
 * call (bench/README.md, session 12). Deferring also lets dispatch and report ingestion keep up with
 * accepting, so fewer messages wait in the store.
 */
export class BulkTurnBudget {
  /** When this turn's first bulk piece started (now()); -1 before one has. */
  private windowStartedAt = -1;
  private tickScheduled = false;
  private waiting: (() => void)[] = [];

  constructor(
    private readonly budgetMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** null: go on at once. Otherwise a promise for a later turn; await it and ask again (see waitForTurn). */
  take(): Promise<void> | null {
    if (this.waiting.length === 0) {
      if (this.windowStartedAt < 0) {
        this.windowStartedAt = this.now();
        this.scheduleTick();
        return null;
      }
      if (this.now() - this.windowStartedAt < this.budgetMs) return null;
    }
    // Behind the pieces already waiting, so a stream that keeps sending cannot starve them.
    this.scheduleTick();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Resolves once this turn has budget for one more bulk piece (at once, most of the time). */
  async waitForTurn(): Promise<void> {
    for (let wait = this.take(); wait !== null; wait = this.take()) await wait;
  }

  private scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(this.tick);
  }

  /**
   * At this turn's check phase: the window closes. What waits goes on at the next turn's check
   * phase: an immediate set now runs after the next poll, not in this check phase.
   */
  private readonly tick = (): void => {
    this.tickScheduled = false;
    this.windowStartedAt = -1;
    if (this.waiting.length > 0) setImmediate(this.release);
  };

  private readonly release = (): void => {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  };
}

/**
 * Event-loop time per turn for bulk work. 1 and 2 ms measured alike (bench/README.md, session 12);
 * a piece of work is 1-10 ms on its own (100-1,000 messages), so this lets one or two run per turn.
 */
export const BULK_TURN_BUDGET_MS = 1;
