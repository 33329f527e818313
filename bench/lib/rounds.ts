// A full run measures every scenario more than once (rounds, `--repeat N`): on a shared machine one
// 15 s phase catches a GC pause, a descheduling or a busy neighbour, or it does not, and a single
// round decided a release on that. The run's figures combine the rounds: the median round for a
// figure that varies (rates, percentiles), the worst round for a bound that must hold every time
// (a lost message, the memory bound, a quiet machine).

export type Metrics = Record<string, number | null>;

/** How a target reads a run of several rounds (bench/targets.json, `across`). */
export type Across = 'median' | 'worst';

/** The middle value (the mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** A metric's measured values over the rounds (rounds that did not measure it left out). */
export function roundValues(rounds: readonly Metrics[], name: string): number[] {
  return rounds.map((round) => round[name]).filter((value): value is number => typeof value === 'number');
}

/**
 * The run's metrics from its rounds: each metric's median, or for those in `worst` the largest (a
 * `max` bound) or smallest (a `min` bound) value of any round. A metric no round measured is null.
 */
export function combineRounds(rounds: readonly Metrics[], worst: ReadonlyMap<string, 'largest' | 'smallest'>): Metrics {
  const combined: Metrics = {};
  for (const round of rounds) for (const name of Object.keys(round)) combined[name] = null;
  for (const name of Object.keys(combined)) {
    const values = roundValues(rounds, name);
    const pick = worst.get(name);
    if (values.length === 0) combined[name] = null;
    else if (pick === 'largest') combined[name] = Math.max(...values);
    else if (pick === 'smallest') combined[name] = Math.min(...values);
    else combined[name] = median(values);
  }
  return combined;
}
