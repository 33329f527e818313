// The shape of bench/results/<timestamp>/results.json, read by bench:check and the report.
import type { HistogramJson, LatencySummary } from '../../src/loadgen/latency-histogram.js';

/** One point of a scenario's time series (one per second). */
export interface SeriesPoint {
  /** Seconds since the scenario started. */
  t: number;
  acceptedPerSec: number;
  deliveredPerSec?: number;
  ackP50Ms?: number;
  ackP99Ms?: number;
  e2eP99Ms?: number;
  errors?: number;
}

/** One second of the soak run. */
export interface SoakPoint {
  t: number;
  rssMb: number;
  heapUsedMb: number;
  eventLoopDelayP99Ms: number;
  /** Accepted but not yet delivered. */
  backlog: number;
  /** Backlog divided by the delivered rate: how long the newest message waits, roughly. */
  queueAgeMs: number;
}

export interface ScenarioResult {
  /** e.g. 'bulk', 'latency', 'baseline'. */
  scenario: string;
  /** e.g. 'memory x4', '50% of peak'. */
  label: string;
  params: Record<string, string | number>;
  /** Which round measured it, when the run had more than one (--repeat). */
  round?: number;
  sent: number;
  accepted: number;
  rejected: number;
  errors: number;
  delivered?: number;
  acceptedPerSec: number;
  deliveredPerSec?: number;
  ack?: LatencySummary;
  ackHistogram?: HistogramJson;
  e2e?: LatencySummary;
  e2eHistogram?: HistogramJson;
  series: SeriesPoint[];
  soak?: SoakPoint[];
  /** Scenario-specific figures (lost, duplicates, recovery time, RSS, ...). */
  extra?: Record<string, number | string | null>;
  errorMessages?: string[];
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  /** Rounds of every scenario (--repeat), when more than one; `metrics` then combines them (see rounds.ts). */
  repeat?: number;
  /** Each round's own metrics, when there was more than one round: what the targets are checked against. */
  rounds?: { metrics: Record<string, number | null> }[];
  machine: {
    cpus: number; loadAverage: number[]; node: string; platform: string;
    /** With --sut-cpus: the CPUs of the systems under test and of the harness ("1", "0"). */
    sutCpus?: string; harnessCpus?: string;
  };
  scenarios: ScenarioResult[];
  /** Flat named figures the targets refer to (see bench/targets.json); over several rounds, each one's median, or worst round for the bounds that must always hold. */
  metrics: Record<string, number | null>;
}

/** A figure of `extra` as a metric: numbers as they are, anything else (missing, n/a) as null. */
export function numberOrNull(value: number | string | null | undefined): number | null {
  return typeof value === 'number' ? value : null;
}
