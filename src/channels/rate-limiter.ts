/** What a rate limiter grants for one try: how many of the messages offered may go now, else how long to wait. */
export interface RateGrant {
  /** A prefix of the offered messages; 0 when none may go yet. */
  readonly granted: number;
  /** When granted is 0: how long until the first message could go. */
  readonly waitMs: number;
}

/**
 * A provider's TPS limit in billable units. Local (one node) or shared by every node of a cluster
 * (through Redis); either way one call per batch, not per message.
 */
export interface RateLimiter {
  /**
   * Takes tokens for the longest prefix of `units` (billable units per message, in order) that fits
   * now. A non-urgent message never takes the share of tokens kept for urgent ones.
   */
  tryTake(units: readonly number[], urgent: boolean): Promise<RateGrant>;
  close(): Promise<void>;
}

/** Makes the limiter of one provider; the gateway picks local or cluster-wide by its store. */
export type RateLimiterFactory = (providerId: string, tps: number, urgentReserve: number) => RateLimiter;

/** Most a single wait lasts before the limiter is asked again (other nodes may have left tokens unused). */
const MAX_WAIT_MS = 250;

/**
 * Waits until the limiter grants at least the first message and returns how many may go; 0 when
 * the signal aborts first. A limiter that fails (Redis down) lets the batch go rather than stop
 * all sending: the provider's own refusals then pace it.
 */
export async function takeTokens(limiter: RateLimiter, units: readonly number[], urgent: boolean, signal: AbortSignal): Promise<number> {
  while (!signal.aborted) {
    let grant: RateGrant;
    try {
      grant = await limiter.tryTake(units, urgent);
    } catch {
      return units.length;
    }
    if (grant.granted > 0) return grant.granted;
    await abortableSleep(Math.max(1, Math.min(MAX_WAIT_MS, grant.waitMs)), signal);
  }
  return 0;
}

/** Resolves after `ms`, or as soon as the signal aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
