// What every scenario gets from the runner: options, a scratch folder, redis, the progress line,
// a place to put results and named metrics.
import type { RedisServer } from './processes.js';
import type { Progress } from './progress.js';
import type { ScenarioResult } from './results.js';

export interface BenchContext {
  readonly quick: boolean;
  /** Which round of the run this is, from 1 (see rounds.ts); the 2,000,000-message run and the soak run in one round only. */
  readonly round: number;
  /** Messages of the memory-bound bulk run (2,000,000 unless --memory-run-messages; full runs only). */
  readonly memoryRunMessages: number;
  /** Seconds of each measured phase. */
  readonly phaseSeconds: number;
  /** Scratch folder for configs, ledgers, redis data. */
  readonly dir: string;
  /** Started on first use. */
  redis(): Promise<RedisServer>;
  readonly progress: Progress;
  readonly results: ScenarioResult[];
  readonly metrics: Record<string, number | null>;
  /** Best bulk delivered msgs/s on the memory store, measured (or estimated) once per run. */
  bulkPeak(): Promise<number>;
  /** Extra node flags of gateway processes: --cpu-prof with --profile-dir, and --gateway-node-args. */
  readonly gatewayNodeArgs: string[];
  /** --gateway-output: gateway processes' stdout (logs, --trace-gc lines) is copied to stderr. */
  readonly showGatewayOutput: boolean;
  /** --perf-dir: where each gateway's perf profile goes (perf-profile.ts); undefined without it. */
  readonly perfDir: string | undefined;
}
