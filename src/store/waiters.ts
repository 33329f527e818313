/**
 * Wakes callers that wait for "something new" (a queued message, a report). A waiter is woken by
 * the next notify, by its signal or by its time limit, whichever comes first; it then checks again
 * for itself.
 */
export class Waiters {
  /** The waiters not yet woken; each removes itself when woken, however that happens. */
  private pending = new Set<() => void>();

  /** Resolves on the next notify, or when the signal aborts (at once if it already has). */
  wait(signal: AbortSignal): Promise<void> {
    return this.waitAtMost(Number.POSITIVE_INFINITY, signal);
  }

  /**
   * Resolves on the next notify, when the signal aborts, or after `ms`, whichever comes first.
   * A timer of its own, not AbortSignal.any([signal, AbortSignal.timeout(ms)]): Node 20's composite
   * signal holds the timeout signal only weakly, and a GC while it waits collects it, after which
   * the wait never ends (nodejs/node#57736; 0 of 20 such waits ended here with a GC in between).
   * A poller waiting so stopped polling for good: found by the A7 partition test.
   */
  waitAtMost(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        this.pending.delete(done);
        signal.removeEventListener('abort', done);
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      // Unref'd: a poll alone does not keep the process alive.
      if (Number.isFinite(ms)) timer = setTimeout(done, ms).unref();
      this.pending.add(done);
    });
  }

  notify(): void {
    if (this.pending.size === 0) return;
    const woken = this.pending;
    this.pending = new Set();
    for (const wake of woken) wake();
  }
}
