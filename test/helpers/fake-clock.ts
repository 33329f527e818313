/** A wall clock that stands still until the test moves it; pass `now` to startGatewayNode. */
export interface FakeClock {
  /** The current fake time, epoch ms. */
  readonly now: () => number;
  /** Moves the clock to `ms` (forward or back). */
  set(ms: number): void;
}

export function createFakeClock(startMs: number): FakeClock {
  let current = startMs;
  return {
    now: () => current,
    set: (ms) => {
      current = ms;
    },
  };
}

const MS_PER_DAY = 86_400_000;
/** Korea has no daylight saving time: KST is always UTC+9. */
const KST_OFFSET_MS = 9 * 3_600_000;

/**
 * Epoch ms of midnight KST `daysAhead` days after today's date in Seoul (by the host clock). Fake
 * clocks for time-of-day tests start a few days ahead of the host clock, so code that still reads
 * the host clock (a provider connector's expiry check) never sees their messages as expired.
 */
export function kstMidnight(daysAhead: number): number {
  const kstNowMs = Date.now() + KST_OFFSET_MS;
  return kstNowMs - (kstNowMs % MS_PER_DAY) + daysAhead * MS_PER_DAY - KST_OFFSET_MS;
}

/** Epoch ms of hh:mm KST on the day that starts at `midnightMs` (from kstMidnight); hour may pass 24. */
export function kstTime(midnightMs: number, hour: number, minute = 0): number {
  return midnightMs + (hour * 60 + minute) * 60_000;
}

/**
 * A running wall clock moved to the same minute of the 12:00 hour KST: for tests of anything but
 * the advertising night window, so an advertising message is never held because the suite happens
 * to run between 21:00 and 08:00 in Seoul (CI runs at any hour). It moves forward, never back, so
 * nothing the host clock times (a connector's expiry check) sees its messages as expired.
 */
export function daytimeKstClock(): () => number {
  const hourKst = Math.floor(((Date.now() + KST_OFFSET_MS) % MS_PER_DAY) / 3_600_000);
  const shiftMs = (((12 - hourKst) % 24) + 24) % 24 * 3_600_000;
  return () => Date.now() + shiftMs;
}
