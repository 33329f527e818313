import { status as Status } from '@grpc/grpc-js';
import { abortableSleep, takeTokens, type RateLimiter } from '../channels/rate-limiter.js';
import { TokenBucket } from '../channels/token-bucket.js';
import type { AcceptRate, Tenant } from '../config/config.js';
import { GatewayError } from './gateway-error.js';

/** Makes the limiter of one tenant's accept rate: cluster-wide through Redis, or this node's own. */
export type TenantLimiterFactory = (tenantId: string, perSecond: number, urgentReserve: number) => RateLimiter;

/** The local limiter, for the memory store (one node). */
export const localTenantLimiter: TenantLimiterFactory = (_tenantId, perSecond, urgentReserve) => new TokenBucket(perSecond, urgentReserve);

/** A unary Send's units: one message, one token. */
const ONE_MESSAGE: readonly number[] = [1];
/** Longest a held stream sleeps before asking the limiter again (other nodes may leave tokens unused). */
const MAX_HOLD_STEP_MS = 250;

interface TenantLimiter {
  readonly rate: AcceptRate;
  readonly limiter: RateLimiter;
}

/**
 * Holds each tenant to its accept rate (tenants[].acceptRate), one limiter call per Send or group of
 * stream frames. A message counts one token whatever its size: the rate protects the nodes and the
 * shared queue, not the suppliers (their TPS limits do that). A limiter that fails (Redis down)
 * admits: the store write that follows decides.
 */
export class TenantAdmission {
  private readonly limiters = new Map<string, TenantLimiter>();

  constructor(private readonly makeLimiter: TenantLimiterFactory) {}

  /**
   * For a unary Send: returns when the tenant may submit one more message now; otherwise throws
   * RESOURCE_EXHAUSTED with the wait (in the message and as a retry hint in the trailers).
   */
  async admitOne(tenant: Tenant, urgent: boolean): Promise<void> {
    const limiter = this.limiterOf(tenant);
    if (limiter === null) return;
    let waitMs: number;
    try {
      const grant = await limiter.tryTake(ONE_MESSAGE, urgent);
      if (grant.granted > 0) return;
      waitMs = Math.max(1, grant.waitMs);
    } catch {
      return;
    }
    const rate = tenant.acceptRate as AcceptRate;
    throw new GatewayError(
      Status.RESOURCE_EXHAUSTED,
      `tenant "${tenant.id}" is over its accept rate of ${rate.perSecond} messages/s; retry in ${waitMs} ms with the same client_ref, or send bulk over SendStream, which is paced instead of refused`,
      { retryAfterMs: waitMs },
    );
  }

  /**
   * For stream frames: waits until `count` more messages fit the tenant's rate, taking what fits
   * as it comes. Returns whether the rate held them back, or null when the signal aborted first.
   */
  async admitMany(tenant: Tenant, count: number, urgent: boolean, signal: AbortSignal): Promise<boolean | null> {
    const limiter = this.limiterOf(tenant);
    if (limiter === null) return false;
    const perSecond = (tenant.acceptRate as AcceptRate).perSecond;
    let held = false;
    for (let left = count; ; ) {
      // Fewer than a second's worth per try: the bucket never holds more.
      const granted = await takeTokens(limiter, new Array<number>(Math.min(left, Math.ceil(perSecond))).fill(1), urgent, signal);
      if (granted === 0) return null;
      left -= granted;
      if (left === 0) return held;
      held = true;
      // Wait for the rest to have come in rather than asking for each token as it does.
      await abortableSleep(Math.min(MAX_HOLD_STEP_MS, Math.ceil((left * 1000) / perSecond)), signal);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.limiters.values()].map(({ limiter }) => limiter.close()));
    this.limiters.clear();
  }

  /** The tenant's limiter, made again when a reload changed its rate; null when it has none. */
  private limiterOf(tenant: Tenant): RateLimiter | null {
    const rate = tenant.acceptRate;
    if (rate === null) return null;
    const known = this.limiters.get(tenant.id);
    if (known !== undefined && known.rate.perSecond === rate.perSecond && known.rate.urgentReserve === rate.urgentReserve) return known.limiter;
    void known?.limiter.close();
    const limiter = this.makeLimiter(tenant.id, rate.perSecond, rate.urgentReserve);
    this.limiters.set(tenant.id, { rate, limiter });
    return limiter;
  }
}
