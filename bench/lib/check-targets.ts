// Compares a run's metrics with bench/targets.json: each target's measured value and bound, and
// whether it is met. A metric the run did not measure is a miss (the release gate needs a full run).

/** A fixed bound, or a ratio to another metric of the same run. */
export type Bound = number | { ratio: number; of: string };

export interface Target {
  name: string;
  metric: string;
  min?: Bound;
  max?: Bound;
  /** Measured only without --quick; a quick run reports it as not measured, not as a miss. */
  fullRunOnly?: boolean;
}

export interface TargetOutcome {
  target: Target;
  measured: number | null;
  /** The bound in the metric's unit, after applying the ratio; null when its baseline is missing. */
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

export function checkTargets(targets: Target[], metrics: Record<string, number | null>, quick: boolean): TargetOutcome[] {
  return targets.map((target) => {
    const measured = metrics[target.metric] ?? null;
    const [op, bound] = target.min !== undefined ? (['>=', target.min] as const) : (['<=', target.max ?? Number.POSITIVE_INFINITY] as const);
    const resolved = resolveBound(bound, metrics);
    let status: TargetOutcome['status'];
    if (measured === null && quick && target.fullRunOnly === true) status = 'skipped (quick run)';
    else if (measured === null || resolved === null) status = 'not measured';
    else status = (op === '>=' ? measured >= resolved : measured <= resolved) ? 'met' : 'missed';
    const shown = measured === null ? 'n/a' : Number(measured.toFixed(2)).toLocaleString('en-US');
    const line = `${status === 'met' ? 'ok  ' : status.startsWith('skipped') ? 'skip' : 'MISS'} ${target.name}: ${target.metric} = ${shown} (${describeBound(op, bound, resolved)})${status === 'met' ? '' : ` [${status}]`}`;
    return { target, measured, bound: resolved, status, line };
  });
}
