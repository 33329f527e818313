import type { RateGrant, RateLimiter } from './rate-limiter.js';

/**
 * A token bucket in this process: `tps` tokens a second, holding at most one second's worth.
 * Non-urgent messages stop at `urgentReserve` of the capacity, so the last tokens stay for urgent
 * ones. A message worth more than what its lane may hold goes once the bucket is that full.
 */
export class TokenBucket implements RateLimiter {
  private tokens: number;
  private lastMs: number;
  private readonly capacity: number;
  private readonly reserved: number;

  constructor(
    private readonly tps: number,
    urgentReserve: number,
    private readonly now: () => number = Date.now,
  ) {
    this.capacity = tps;
    this.reserved = tps * urgentReserve;
    this.tokens = tps;
    this.lastMs = now();
  }

  async tryTake(units: readonly number[], urgent: boolean): Promise<RateGrant> {
    return this.take(units, urgent);
  }

  /** The synchronous core of tryTake (unit tests drive it with a fake clock). */
  take(units: readonly number[], urgent: boolean): RateGrant {
    const nowMs = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.lastMs) * this.tps) / 1000);
    this.lastMs = nowMs;
    const floor = urgent ? 0 : this.reserved;
    let granted = 0;
    for (const u of units) {
      const need = Math.min(u, this.capacity - floor);
      if (this.tokens - need < floor) break;
      this.tokens -= u;
      granted++;
    }
    if (granted > 0 || units.length === 0) return { granted, waitMs: 0 };
    const need = Math.min(units[0] as number, this.capacity - floor);
    return { granted: 0, waitMs: Math.ceil(((floor + need - this.tokens) * 1000) / this.tps) };
  }

  async close(): Promise<void> {}
}
