import { unavailable } from './gateway-error.js';

/**
 * Tracks the abort controllers of running calls so a draining server can end its long calls
 * (SendStream, WatchReports) with UNAVAILABLE instead of waiting for clients to hang up.
 */
export class CallRegistry {
  private readonly controllers = new Set<AbortController>();
  private draining = false;

  /** A signal for one call, aborted when the client cancels (via onCancel) or the server drains. */
  open(onCancel: (listener: () => void) => void): { signal: AbortSignal; close: () => void } {
    const controller = new AbortController();
    if (this.draining) controller.abort(unavailable('server shutting down'));
    this.controllers.add(controller);
    onCancel(() => controller.abort(new DOMException('call cancelled by the client', 'AbortError')));
    return { signal: controller.signal, close: () => this.controllers.delete(controller) };
  }

  /** Aborts every running call with UNAVAILABLE: server shutting down. */
  drain(): void {
    this.draining = true;
    for (const controller of this.controllers) controller.abort(unavailable('server shutting down'));
  }

  get size(): number {
    return this.controllers.size;
  }
}
