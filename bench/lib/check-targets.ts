// Compares a run's metrics with bench/targets.json: each target's measured value and bound, and
// whether it is met. A metric the run did not measure is a miss (the release gate needs a full run).
// A run of several rounds (see rounds.ts) is read round by round: a ratio target divides each
// round's metric by the same round's baseline, then the rounds combine as the target's `across` says.
import { type Across, median, type Metrics } from './rounds.js';

/** A fixed bound, or a ratio to another metric of the same run. */
export type Bound = number | { ratio: number; of: string };

export interface Target {
  name: string;
  metric: string;
  min?: Bound;
  max?: Bound;
  /** Measured only without --quick; a quick run reports it as not measured, not as a miss. */
  fullRunOnly?: boolean;
  /** Over several rounds: 'median' (the default) or 'worst' (a bound that must hold in every round). */
  across?: Across;
}

export interface TargetOutcome {
  target: Target;
  /** The measured value; over several rounds, for a ratio target, the metric over its baseline (a ratio). */
  measured: number | null;
  /** The bound in the unit of `measured` (after applying the ratio to one run's baseline); null when its baseline is missing. */
  bound: number | null;
  status: 'met' | 'missed' | 'not measured' | 'skipped (quick run)';
  line: string;
}

function resolveBound(bound: Bound, metrics: Record<string, number | null>): number | null {
  if (typeof bound === 'number') return bound;
  const base = metrics[bound.of];
  return typeof base === 'number' ? bound.ratio * base : null;
}

function describeBound(op: '>=' | '<=', bound: Bound, resolved: number | null): string {
  const value = resolved === null ? 'n/a' : Number(resolved.toFixed(2)).toLocaleString('en-US');
  return typeof bound === 'number' ? `${op} ${value}` : `${op} ${bound.ratio} x ${bound.of} = ${value}`;
}

/** The metrics the 'worst' targets read, and which end of their rounds is the worst: combineRounds() takes it. */
export function worstOfRounds(targets: readonly Target[]): Map<string, 'largest' | 'smallest'> {
  return new Map(targets.filter((t) => t.across === 'worst').map((t) => [t.metric, t.min !== undefined ? 'smallest' : 'largest'] as const));
}

/** The target's comparison and bound: a minimum, or a maximum (none: no bound). */
function boundOf(target: Target): readonly ['>=' | '<=', Bound] {
  return target.min !== undefined ? ['>=', target.min] : ['<=', target.max ?? Number.POSITIVE_INFINITY];
}

function meets(op: '>=' | '<=', measured: number, limit: number): 'met' | 'missed' {
  return (op === '>=' ? measured >= limit : measured <= limit) ? 'met' : 'missed';
}

/** A result line: its tag, the target, what was measured against what, and the status unless met. */
function outcomeLine(status: TargetOutcome['status'], target: Target, measuredText: string): string {
  return `${status === 'met' ? 'ok  ' : status.startsWith('skipped') ? 'skip' : 'MISS'} ${target.name}: ${measuredText}${status === 'met' ? '' : ` [${status}]`}`;
}

/** Checks each target against `metrics`, or against `rounds` when the run had more than one. */
export function checkTargets(targets: Target[], metrics: Record<string, number | null>, quick: boolean, rounds: readonly Metrics[] = []): TargetOutcome[] {
  if (rounds.length > 1) return targets.map((target) => checkOverRounds(target, rounds, quick));
  return targets.map((target) => {
    const measured = metrics[target.metric] ?? null;
    const [op, bound] = boundOf(target);
    const resolved = resolveBound(bound, metrics);
    let status: TargetOutcome['status'];
    if (measured === null && quick && target.fullRunOnly === true) status = 'skipped (quick run)';
    else if (measured === null || resolved === null) status = 'not measured';
    else status = meets(op, measured, resolved);
    const shown = measured === null ? 'n/a' : Number(measured.toFixed(2)).toLocaleString('en-US');
    const line = outcomeLine(status, target, `${target.metric} = ${shown} (${describeBound(op, bound, resolved)})`);
    return { target, measured, bound: resolved, status, line };
  });
}

function checkOverRounds(target: Target, rounds: readonly Metrics[], quick: boolean): TargetOutcome {
  const [op, bound] = boundOf(target);
  // Each round against itself: a ratio is taken between figures measured minutes apart, not across rounds.
  const values: number[] = [];
  for (const round of rounds) {
    const value = round[target.metric];
    if (typeof value !== 'number') continue;
    if (typeof bound === 'number') values.push(value);
    else {
      const base = round[bound.of];
      if (typeof base === 'number' && base > 0) values.push(value / base);
    }
  }
  const across = target.across ?? 'median';
  const measured = values.length === 0 ? null : across === 'median' ? median(values) : op === '<=' ? Math.max(...values) : Math.min(...values);
  const limit = typeof bound === 'number' ? bound : bound.ratio;
  let status: TargetOutcome['status'];
  if (measured === null) status = quick && target.fullRunOnly === true ? 'skipped (quick run)' : 'not measured';
  else status = meets(op, measured, limit);
  const digits = typeof bound === 'number' ? 2 : 3;
  const show = (value: number): string => Number(value.toFixed(digits)).toLocaleString('en-US');
  const subject = typeof bound === 'number' ? target.metric : `${target.metric} / ${bound.of}`;
  const rest = measured === null ? 'n/a' : `${show(measured)}, ${across} of ${values.length} round${values.length === 1 ? '' : 's'} (${values.map(show).join(', ')})`;
  const line = outcomeLine(status, target, `${subject} = ${rest} (${op} ${show(limit)})`);
  return { target, measured, bound: limit, status, line };
}
