import { LatencyHistogram } from '../../src/loadgen/latency-histogram.js';

/** Matches acks (message id, scheduled time) with provider arrivals, whichever comes first. */
export class EndToEndTracker {
  readonly histogram = new LatencyHistogram();
  interval = new LatencyHistogram();
  private readonly scheduled = new Map<string, number>();
  private readonly arrived = new Map<string, number>();

  /** Acked messages that no provider has received yet. */
  get waiting(): number {
    return this.scheduled.size;
  }

  acked(messageId: string, scheduledAt: number): void {
    const arrivedAt = this.arrived.get(messageId);
    if (arrivedAt === undefined) this.scheduled.set(messageId, scheduledAt);
    else {
      this.arrived.delete(messageId);
      this.record(arrivedAt - scheduledAt);
    }
  }

  received(messageId: string, atMs: number): void {
    const scheduledAt = this.scheduled.get(messageId);
    if (scheduledAt === undefined) this.arrived.set(messageId, atMs);
    else {
      this.scheduled.delete(messageId);
      this.record(atMs - scheduledAt);
    }
  }

  private record(ms: number): void {
    this.histogram.recordMs(ms);
    this.interval.recordMs(ms);
  }
}
