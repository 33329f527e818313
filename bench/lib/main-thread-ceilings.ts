// What the throughput ratios would be with a core for every process. The bench and the baselines
// share this machine's cores with the gateway, so the measured ratios depend on the core count;
// the main thread's CPU per message does not (much). A node process handles messages on its main
// thread, redis-server runs commands on its own: each can do at most 1e6 / (its µs per message)
// messages a second, however many cores there are. So with a core each, the gateway's ratio to the
// echo would be the echo's main-thread µs per message over the gateway's (or redis-server's, when
// that is the larger). A projection, not a measurement: the release gate stays the measured ratio.

type Metrics = Record<string, number | null>;

const positive = (value: number | null | undefined): value is number => typeof value === 'number' && value > 0;

/** Adds `<case>.mainThreadCeilingRatio` for bulk memory, bulk Redis and single, where their inputs were measured. */
export function addMainThreadCeilings(metrics: Metrics): void {
  const ceiling = (name: string, echoUs: number | null | undefined, ...bottleneckUs: (number | null | undefined)[]): void => {
    const measured = bottleneckUs.filter(positive);
    if (!positive(echoUs) || measured.length < bottleneckUs.length) return;
    metrics[name] = Math.round((100 * echoUs) / Math.max(...measured)) / 100;
  };
  const batched = metrics['baseline.echoBatched.mainThreadUsPerMsg'];
  ceiling('bulk.memory.mainThreadCeilingRatio', batched, metrics['bulk.memory.mainThreadUsPerMsg']);
  ceiling('bulk.redis.mainThreadCeilingRatio', batched, metrics['bulk.redis.mainThreadUsPerMsg'], metrics['bulk.redis.redisMainThreadUsPerMsg']);
  ceiling('single.memory.mainThreadCeilingRatio', metrics['baseline.echoSingle.mainThreadUsPerMsg'], metrics['single.memory.mainThreadUsPerMsg']);
}
