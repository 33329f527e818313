import { unavailable } from './gateway-error.js';

/** What a call's handler gets to see whether the call is still wanted. */
export interface CallScope {
  /** Aborted when the client cancels or the server drains. Made on first use: most unary handlers never ask. */
  readonly signal: AbortSignal;
}

/**
 * One running call. Its AbortController is made only when the handler asks for the signal:
 * creating one costs a few µs, a large share of a unary Send that never looks at it.
 */
class RunningCall implements CallScope {
  private controller: AbortController | null = null;
  private aborted = false;
  private reason: unknown;

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

/**
 * Tracks running calls so a draining server can end its long calls (SendStream, WatchReports)
 * with UNAVAILABLE instead of waiting for clients to hang up.
 */
export class CallRegistry {
  private readonly running = new Set<RunningCall>();
  private draining = false;

  /** Opens the scope of one call, aborted when the call emits 'cancelled' or the server drains; close it when the call ends. */
  open(call: { once(event: 'cancelled', listener: () => void): unknown }): CallScope {
    const running = new RunningCall();
    if (this.draining) running.abort(unavailable('server shutting down'));
    this.running.add(running);
    // grpc-js emits 'cancelled' after every call's status too, ended or not: one that has closed
    // is left alone (a DOMException captures a stack, ~20 µs of a unary Send's budget).
    call.once('cancelled', () => {
      if (this.running.has(running)) running.abort(new DOMException('call cancelled by the client', 'AbortError'));
    });
    return running;
  }

  close(scope: CallScope): void {
    this.running.delete(scope as RunningCall);
  }

  /** Aborts every running call with UNAVAILABLE: server shutting down. */
  drain(): void {
    this.draining = true;
    for (const running of this.running) running.abort(unavailable('server shutting down'));
  }

  get size(): number {
    return this.running.size;
  }
}
