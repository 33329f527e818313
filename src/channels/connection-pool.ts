import type { GrpcProviderSettings } from '../config/config.js';
import { ProviderConnection, type ConnectionEvents } from './provider-connection.js';
import { providerLink } from './provider-credentials.js';

/** Window slots granted on one connection, held for the caller until it release()s them (just before its send()). */
export interface Slots {
  readonly connection: ProviderConnection;
  readonly count: number;
}

/**
 * `settings.connections` separate connections to one provider. Batches go to the connection with
 * the most free window, so load spreads and a broken connection's share moves to the others.
 */
export class ConnectionPool {
  readonly connections: readonly ProviderConnection[];
  private readyWaiters: (() => void)[] = [];
  private changeWaiters: (() => void)[] = [];
  private closed = false;
  /**
   * Set when a caller waited connectTimeoutMs for a connection in vain, cleared when one opens:
   * while set, callers are refused at once instead of each waiting out the timeout again, so
   * traffic moves to other suppliers without delay during an outage. Reconnecting goes on.
   */
  private unreachable = false;
  private readonly deadlineTimer: NodeJS.Timeout;

  constructor(
    private readonly settings: GrpcProviderSettings,
    events: Pick<ConnectionEvents, 'onCapabilities' | 'onReports'>,
  ) {
    const poolEvents: ConnectionEvents = {
      ...events,
      onReady: () => {
        this.unreachable = false;
        wake(this.readyWaiters.splice(0));
        this.onChange();
      },
      onChange: () => this.onChange(),
    };
    const link = providerLink(settings);
    this.connections = Array.from({ length: settings.connections }, (_, i) => new ProviderConnection(settings, i, poolEvents, link));
    const tickMs = Math.max(50, Math.min(1000, settings.answerTimeoutMs / 4));
    this.deadlineTimer = setInterval(() => {
      const nowMs = Date.now();
      for (const connection of this.connections) connection.checkDeadlines(nowMs);
    }, tickMs);
    this.deadlineTimer.unref();
  }

  get ready(): boolean {
    return this.connections.some((c) => c.ready);
  }

  /** Refuse at once: no connection is open and the last wait for one timed out. */
  get failFast(): boolean {
    return this.unreachable && !this.ready;
  }

  get inFlight(): number {
    return this.connections.reduce((sum, c) => sum + c.inFlight, 0);
  }

  /**
   * Up to `wanted` window slots for this lane on one connection, waiting for space or for a
   * connection (up to connectTimeoutMs); null when no connection came or the signal aborted.
   */
  async reserve(wanted: number, urgent: boolean, signal: AbortSignal): Promise<Slots | null> {
    while (!signal.aborted && !this.closed) {
      let best: ProviderConnection | null = null;
      let bestFree = 0;
      for (const connection of this.connections) {
        const free = connection.freeSlots(urgent);
        if (free > bestFree) [best, bestFree] = [connection, free];
      }
      if (best !== null) {
        const count = Math.min(wanted, bestFree);
        best.hold(count);
        return { connection: best, count };
      }
      if (this.ready) {
        await this.waitFor(this.changeWaiters, signal, 0);
      } else {
        if (this.failFast) return null;
        await this.waitFor(this.readyWaiters, signal, this.settings.connectTimeoutMs);
        if (!this.ready && !signal.aborted && !this.closed) {
          this.unreachable = true;
          return null;
        }
      }
    }
    return null;
  }

  resumeReports(): void {
    for (const connection of this.connections) connection.resumeReports();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.deadlineTimer);
    for (const connection of this.connections) connection.close();
    wake(this.readyWaiters.splice(0));
    wake(this.changeWaiters.splice(0));
  }

  private onChange(): void {
    wake(this.changeWaiters.splice(0));
  }

  /** Waits for a wake-up from `waiters`, the signal, or timeoutMs (0 = no timeout); leaves no listener behind. */
  private waitFor(waiters: (() => void)[], signal: AbortSignal, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = timeoutMs > 0 ? setTimeout(finish, timeoutMs) : null;
      signal.addEventListener('abort', finish, { once: true });
      waiters.push(finish);
      function finish(): void {
        if (timer !== null) clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        resolve();
      }
    });
  }
}

function wake(waiters: (() => void)[]): void {
  for (const w of waiters) w();
}
