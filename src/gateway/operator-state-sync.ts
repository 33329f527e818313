import type { ProviderBoard } from '../channels/provider-board.js';
import type { Config } from '../config/config.js';
import { log } from '../log.js';
import type { OperatorStates, StoredOperatorState } from '../store/operator-states.js';

const NORMAL: StoredOperatorState = { drained: false, preferred: false };

/**
 * Keeps this node's operator states of suppliers (drained, preferred, on the ProviderBoard) equal
 * to the ones in the store, which every node of the deployment shares: read at start, after each
 * change an operator makes on this node, and at a fixed interval for changes made on other nodes.
 * Reads run one after another, so the board always ends at a read that began after the last
 * change written here.
 */
export class OperatorStateSync {
  private tail: Promise<void> = Promise.resolve();
  /** A periodic read is queued or running: the next tick does not queue another. */
  private polling = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: OperatorStates,
    private readonly board: ProviderBoard,
    private readonly config: () => Config,
  ) {}

  /** Reads the store every intervalMs from now on; a failed read is logged and tried at the next tick. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = true;
      this.read('poll')
        .catch((error: unknown) => log('warn', 'reading operator states from the store failed; trying again', { error: (error as Error).message }))
        .finally(() => (this.polling = false));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Writes an operator's change to the store (so every node applies it), then applies it here.
   * Fails only when the store did not take it; stored but not read back, it is applied at the next read.
   */
  async change(states: ReadonlyMap<string, StoredOperatorState>): Promise<void> {
    await this.store.keepOperatorStates(states);
    await this.read('change').catch((error: unknown) =>
      log('warn', 'an operator change is stored; this node applies it at its next read of the store', { error: (error as Error).message }),
    );
  }

  /** Reads the store and applies its states to the configured suppliers, after any read in progress. */
  read(why: 'start' | 'poll' | 'change'): Promise<void> {
    const next = this.tail.then(async () => this.apply(await this.store.readOperatorStates(), why));
    this.tail = next.catch(() => {});
    return next;
  }

  private apply(states: ReadonlyMap<string, StoredOperatorState>, why: 'start' | 'poll' | 'change'): void {
    for (const { id } of this.config().providers) {
      const wanted = states.get(id) ?? NORMAL;
      const current = this.board.operatorState(id);
      if (current.drained === wanted.drained && current.preferred === wanted.preferred) continue;
      this.board.setOperatorState(id, wanted);
      // The node an operator called logs the change itself.
      if (why !== 'change') log('warn', 'provider operator state taken from the store (set on another node, or before a restart)', { provider: id, drained: wanted.drained, preferred: wanted.preferred });
    }
  }
}
