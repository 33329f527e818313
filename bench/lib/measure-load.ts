// Runs the load generator against a gateway and adds what only the bench can see: deliveries
// counted at the simulated providers, end-to-end latency per message, the gateway's RSS.
import { LatencyHistogram } from '../../src/loadgen/latency-histogram.js';
import { runLoad, type LoadOptions } from '../../src/loadgen/load-generator.js';
import type { BenchContext } from './bench-context.js';
import type { CountingProvider } from './counting-provider.js';
import { EndToEndTracker } from './end-to-end-tracker.js';
import { machineSnapshot, otherWorkBetween } from './machine-activity.js';
import { allowedCpus, mainThreadCpuMs, mainThreadRunQueueMs, processCpuMs, processRssMb } from './processes.js';
import type { ScenarioResult, SeriesPoint } from './results.js';

export interface MeasureOptions {
  scenario: string;
  label: string;
  load: Omit<LoadOptions, 'onAcks' | 'onSample'>;
  /** Deliveries are counted here; absent for the echo baseline. */
  providers?: CountingProvider[];
  /** Time each message from its scheduled send to the provider receiving it. */
  trackEndToEnd?: boolean;
  /** The gateway process whose peak RSS is recorded. */
  gatewayPid?: number;
  /** Extra parameters recorded with the result. */
  params?: Record<string, string | number>;
  /** Record the gateway's CPU per accepted message (off when another load shares the gateway). Default true. */
  reportCpu?: boolean;
  /** Other processes whose CPU per accepted message is recorded as `<name>CpuUsPerMsg` (the echo server, redis-server). */
  cpuOf?: Record<string, number>;
  /** Called once a second with the totals so far and the deliveries counted (the soak samples here). */
  onSecond?: (accepted: number, delivered: number) => void;
}

export async function measureLoad(ctx: BenchContext, options: MeasureOptions): Promise<ScenarioResult> {
  const providers = options.providers ?? [];
  const delivered = (): number => providers.reduce((sum, p) => sum + p.received(), 0);
  const deliveredAtStart = delivered();
  const tracker = options.trackEndToEnd === true ? new EndToEndTracker() : undefined;
  if (tracker !== undefined) for (const p of providers) p.startTracking((id, at) => tracker.received(id, at));
  const series: SeriesPoint[] = [];
  let lastDelivered = deliveredAtStart;
  let lastSampleAt = performance.now();
  let peakRssMb = 0;
  const sampleDelivered = (): number => {
    const now = performance.now();
    const count = delivered();
    const rate = Math.round((count - lastDelivered) / ((now - lastSampleAt) / 1000));
    lastDelivered = count;
    lastSampleAt = now;
    return rate;
  };
  const takeE2eP99 = (): number | undefined => {
    if (tracker === undefined) return undefined;
    const p99 = tracker.interval.percentileMs(99);
    tracker.interval = new LatencyHistogram();
    return p99;
  };

  ctx.progress.phase(`${options.scenario} ${options.label}`);
  const cpuAtStart = options.gatewayPid === undefined ? 0 : processCpuMs(options.gatewayPid);
  const mainThreadCpuAtStart = options.gatewayPid === undefined ? 0 : mainThreadCpuMs(options.gatewayPid);
  const otherCpuAtStart = Object.entries(options.cpuOf ?? {}).map(([name, pid]) => ({ name, pid, ms: processCpuMs(pid), mainMs: mainThreadCpuMs(pid) }));
  // Each main thread's wait for a CPU: this process's (the client whose latency is measured), the gateway's and the others'.
  const runQueueOf: Record<string, number> = { bench: process.pid, ...(options.gatewayPid === undefined ? {} : { gateway: options.gatewayPid }), ...options.cpuOf };
  const runQueueAtStart = Object.entries(runQueueOf).map(([name, pid]) => ({ name, pid, ms: mainThreadRunQueueMs(pid) }));
  const benchCpuAtStart = process.cpuUsage();
  const machineAtStart = machineSnapshot();
  const start = performance.now();
  const result = await runLoad({
    ...options.load,
    onAcks: tracker === undefined ? undefined : (acks, scheduledAt) => {
      for (const ack of acks) if (ack.accepted) tracker.acked(ack.messageId, scheduledAt);
    },
    onSample: (sample, totals) => {
      if (options.gatewayPid !== undefined) peakRssMb = Math.max(peakRssMb, processRssMb(options.gatewayPid));
      const deliveredPerSec = providers.length > 0 ? sampleDelivered() : undefined;
      const point: SeriesPoint = { t: sample.t, acceptedPerSec: sample.acceptedPerSec, ackP50Ms: sample.ackP50Ms, ackP99Ms: sample.ackP99Ms, errors: sample.errors };
      if (deliveredPerSec !== undefined) point.deliveredPerSec = deliveredPerSec;
      const e2e = takeE2eP99();
      if (e2e !== undefined) point.e2eP99Ms = e2e;
      series.push(point);
      options.onSecond?.(totals.accepted, delivered() - deliveredAtStart);
      ctx.progress.update({ acceptedPerSec: sample.acceptedPerSec, ...(deliveredPerSec === undefined ? {} : { deliveredPerSec }), errors: sample.errors });
    },
  });

  // Deliveries trail the acks: wait until every accepted message has reached a provider (and, when
  // tracked, every timed message: a load that shares the gateway also counts as delivered), or
  // until nothing has arrived for 3 s, sampling the tail into the series too.
  let deliveredPerSec: number | undefined;
  let deliveredCount: number | undefined;
  if (providers.length > 0) {
    let lastChangeAt = performance.now();
    let seen = delivered();
    let nextSampleAt = performance.now() + 1000;
    const behind = (): boolean => delivered() - deliveredAtStart < result.accepted || (tracker !== undefined && tracker.waiting > 0);
    while (behind() && performance.now() - lastChangeAt < 3000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const now = delivered();
      if (now !== seen) {
        seen = now;
        lastChangeAt = performance.now();
      }
      if (performance.now() >= nextSampleAt) {
        nextSampleAt += 1000;
        const point: SeriesPoint = { t: Number(((performance.now() - start) / 1000).toFixed(2)), acceptedPerSec: 0, deliveredPerSec: sampleDelivered() };
        const e2e = takeE2eP99();
        if (e2e !== undefined) point.e2eP99Ms = e2e;
        series.push(point);
      }
    }
    deliveredCount = seen - deliveredAtStart;
    deliveredPerSec = Math.round(deliveredCount / ((lastChangeAt - start) / 1000));
  }
  if (tracker !== undefined) await Promise.all(providers.map((p) => p.stopTracking()));
  const machineAtEnd = machineSnapshot();

  const scenario: ScenarioResult = {
    scenario: options.scenario,
    label: options.label,
    params: {
      mode: options.load.mode,
      concurrency: options.load.concurrency,
      batchSize: options.load.mode === 'stream' ? options.load.batchSize : 1,
      ratePerSec: options.load.ratePerSec,
      durationMs: options.load.durationMs,
      ...options.params,
      // Where the gateway may run (all CPUs, or those of --sut-cpus).
      ...(options.gatewayPid === undefined ? {} : { gatewayCpus: allowedCpus(options.gatewayPid) }),
    },
    sent: result.sent,
    accepted: result.accepted,
    rejected: result.rejected,
    errors: result.errors,
    acceptedPerSec: result.acceptedPerSec,
    ack: result.ack.summary(),
    ackHistogram: result.ack.toJSON(),
    series,
  };
  if (deliveredCount !== undefined && deliveredPerSec !== undefined) {
    scenario.delivered = deliveredCount;
    scenario.deliveredPerSec = deliveredPerSec;
  }
  // No end-to-end figure when no timed message arrived: a 0 ms p99 would read as a result.
  if (tracker !== undefined && tracker.histogram.count > 0) {
    scenario.e2e = tracker.histogram.summary();
    scenario.e2eHistogram = tracker.histogram.toJSON();
  }
  const perMessage = (cpuUs: number): number | null => (result.accepted > 0 ? Math.round((10 * cpuUs) / result.accepted) / 10 : null);
  scenario.extra = {};
  // Timed messages that were acked but no provider received before the wait above gave up.
  if (tracker !== undefined && tracker.waiting > 0) scenario.extra['e2eNotArrived'] = tracker.waiting;
  if (options.gatewayPid !== undefined) {
    // Gateway CPU (user + system) per accepted message: what an optimisation should move.
    const cpuUs = (processCpuMs(options.gatewayPid) - cpuAtStart) * 1000;
    scenario.extra['peakRssMb'] = peakRssMb;
    if (options.reportCpu !== false) {
      scenario.extra['gatewayCpuUsPerMsg'] = perMessage(cpuUs);
      scenario.extra['gatewayMainThreadUsPerMsg'] = perMessage((mainThreadCpuMs(options.gatewayPid) - mainThreadCpuAtStart) * 1000);
    }
  }
  for (const { name, pid, ms, mainMs } of otherCpuAtStart) {
    scenario.extra[`${name}CpuUsPerMsg`] = perMessage((processCpuMs(pid) - ms) * 1000);
    scenario.extra[`${name}MainThreadUsPerMsg`] = perMessage((mainThreadCpuMs(pid) - mainMs) * 1000);
  }
  const elapsedSeconds = (performance.now() - start) / 1000;
  for (const { name, pid, ms } of runQueueAtStart) {
    scenario.extra[`${name}RunQueueMsPerSec`] = Math.round((10 * (mainThreadRunQueueMs(pid) - ms)) / elapsedSeconds) / 10;
  }
  // This process: the load generator and the simulated suppliers (worker threads). On a small
  // machine it shares the cores with what is measured, so it bounds every ratio to a baseline.
  const benchCpu = process.cpuUsage(benchCpuAtStart);
  scenario.extra['benchCpuUsPerMsg'] = perMessage(benchCpu.user + benchCpu.system);
  // How quiet the machine was meanwhile: CPU taken by processes outside this run, and by other guests.
  if (machineAtStart !== null && machineAtEnd !== null) Object.assign(scenario.extra, otherWorkBetween(machineAtStart, machineAtEnd));
  if (result.errorMessages.length > 0 || Object.keys(result.rejectReasons).length > 0) {
    scenario.errorMessages = [...result.errorMessages, ...Object.entries(result.rejectReasons).map(([reason, n]) => `rejected ${reason}: ${n}`)];
  }
  const rate = scenario.deliveredPerSec ?? scenario.acceptedPerSec;
  ctx.progress.done(`${rate.toLocaleString('en-US')} msgs/s, ack p99 ${scenario.ack?.p99} ms${scenario.e2e ? `, e2e p99 ${scenario.e2e.p99} ms` : ''}${scenario.errors > 0 ? `, ${scenario.errors} errors` : ''}`);
  ctx.results.push(scenario);
  return scenario;
}

