/**
 * Wakes callers that wait for "something new" (a queued message, a report). A waiter is woken by
 * the next notify or by its signal, whichever comes first; it then checks again for itself.
 */
export class Waiters {
  private pending: (() => void)[] = [];

  /** Resolves on the next notify, or at once if the signal is already aborted. */
  wait(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.pending.push(done);
    });
  }

  notify(): void {
    if (this.pending.length === 0) return;
    const woken = this.pending;
    this.pending = [];
    for (const wake of woken) wake();
  }
}
