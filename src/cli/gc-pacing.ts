import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import type { Config, MemoryStoreSettings } from '../config/config.js';

/**
 * GC pacing for a gateway on the memory store. After a major GC, V8 lets the heap grow to up to
 * 4x its live data before the next one when the process allocates fast and GC is cheap. With the
 * memory store a bulk run keeps a full queue and its messages in the heap, all promoted and dying
 * there: in the 2,000,000-message bench run about 110 MB were live and the heap reached 460 MB.
 *
 * So after each major GC the next growth step is set from the live data (the heap in use then):
 * V8's own pacing while even its largest step stays within the budget (store.heapBudgetMb,
 * HEAP_BUDGET_MB by default), a smaller step when it would not. A lightly loaded node pays
 * nothing (a fixed 50% step cost a quarter of the bulk throughput); nothing is capped: past the
 * budget the heap grows by MIN_GROWING_PERCENT steps.
 */
/** The default of store.heapBudgetMb (the schema's default says the same). */
export const HEAP_BUDGET_MB = 192;
/** V8's largest growth factor on a machine with more than 2 GB for the heap. */
const V8_MAX_FACTOR = 4;
/** The smallest step, so a heap whose live data passes the budget is not collected without pause. */
const MIN_GROWING_PERCENT = 20;

/** Whether serve paces GC: with the memory store, unless node was started with its own heap growth flag. */
export function gcPacingApplies(config: Config, nodeArgs: readonly string[]): config is Config & { readonly store: MemoryStoreSettings } {
  return config.store.kind === 'memory' && !nodeArgs.some((arg) => /heap[-_]growing[-_]percent/.test(arg));
}

/** V8's --heap-growing-percent for `liveMb` of live data: 0 (V8's own pacing) when its largest step stays within the budget. */
export function growingPercentFor(liveMb: number, budgetMb: number = HEAP_BUDGET_MB): number {
  const factor = budgetMb / Math.max(liveMb, 1);
  if (factor >= V8_MAX_FACTOR) return 0;
  return Math.max(MIN_GROWING_PERCENT, Math.floor((factor - 1) * 100));
}

/**
 * Sets the growth step now and after every major GC. V8 reads the flag when it sets the next limit,
 * at the end of each major GC, before the observer hears of it: so the step is set at the start
 * too, or the first major GC after it would still grow the heap by V8's own step. Returns a
 * function that stops it.
 */
export function startGcPacing(
  budgetMb: number = HEAP_BUDGET_MB,
  setFlag: (flag: string) => void = setFlagsFromString,
  heapInUseMb: () => number = () => getHeapStatistics().used_heap_size / 2 ** 20,
): () => void {
  let current = 0;
  const pace = (): void => {
    const percent = growingPercentFor(heapInUseMb(), budgetMb);
    if (percent === current) return;
    current = percent;
    setFlag(`--heap-growing-percent=${percent}`);
  };
  pace();
  const observer = new PerformanceObserver((list) => {
    const major = list.getEntries().some((entry) => (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (major) pace();
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
