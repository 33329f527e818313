/**
 * A log-linear latency histogram in the style of HdrHistogram: values (microseconds) below 256
 * are counted exactly, larger ones in buckets of 128 per power of two, so any percentile it
 * reports is within 1/128 (0.8%) of the true value. Fixed memory (~3,300 counters), O(1) record,
 * mergeable, so one can be kept per second and per run.
 */
const SUB_BUCKET_BITS = 7;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS; // 128
const EXACT_LIMIT = SUB_BUCKETS * 2; // values below this have a bucket each
/** Largest value kept (2^31 - 1 µs, ~36 minutes); larger ones are clamped to it. */
const MAX_VALUE = 0x7fffffff;
const BUCKET_COUNT = EXACT_LIMIT + (31 - SUB_BUCKET_BITS - 1) * SUB_BUCKETS;

/** Percentiles the suite reports, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Sparse form for results.json: [bucket index, count] pairs plus the exact extremes. */
export interface HistogramJson {
  buckets: [number, number][];
  min: number;
  max: number;
  sum: number;
}

function bucketOf(us: number): number {
  if (us < EXACT_LIMIT) return us;
  const exponent = 31 - Math.clz32(us) - SUB_BUCKET_BITS; // >= 1 here
  return EXACT_LIMIT + (exponent - 1) * SUB_BUCKETS + ((us >>> exponent) - SUB_BUCKETS);
}

/** The highest value that falls in a bucket (HdrHistogram's "highest equivalent value"). */
export function bucketUpperBound(index: number): number {
  if (index < EXACT_LIMIT) return index;
  const exponent = Math.floor((index - EXACT_LIMIT) / SUB_BUCKETS) + 1;
  const mantissa = ((index - EXACT_LIMIT) % SUB_BUCKETS) + SUB_BUCKETS;
  return (mantissa + 1) * 2 ** exponent - 1;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private minUs = Number.POSITIVE_INFINITY;
  private maxUs = 0;
  private sumUs = 0;

  /** Counts `times` occurrences of a latency of `ms` milliseconds (negative counts as 0). */
  recordMs(ms: number, times = 1): void {
    this.recordUs(Math.round(ms * 1000), times);
  }

  recordUs(value: number, times = 1): void {
    const us = value <= 0 ? 0 : value >= MAX_VALUE ? MAX_VALUE : Math.round(value);
    this.counts[bucketOf(us)]! += times;
    this.total += times;
    this.sumUs += us * times;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  get count(): number {
    return this.total;
  }

  /** The value at percentile p (0..100) in microseconds, 0 when empty; within 1/128 of the true value. */
  percentileUs(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketUpperBound(i), this.maxUs);
    }
    return this.maxUs;
  }

  percentileMs(p: number): number {
    return this.percentileUs(p) / 1000;
  }

  maxMs(): number {
    return this.maxUs / 1000;
  }

  /** Adds every count of `other` into this one. */
  add(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sumUs += other.sumUs;
    if (other.minUs < this.minUs) this.minUs = other.minUs;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
  }

  summary(): LatencySummary {
    const round = (us: number): number => Math.round(us) / 1000;
    return {
      count: this.total,
      p50: round(this.percentileUs(50)),
      p90: round(this.percentileUs(90)),
      p99: round(this.percentileUs(99)),
      p999: round(this.percentileUs(99.9)),
      max: round(this.maxUs),
      mean: this.total === 0 ? 0 : round(this.sumUs / this.total),
    };
  }

  /** Points of the percentile curve (percentile, ms) for distribution charts, HdrHistogram-plot style. */
  percentileCurve(): [number, number][] {
    const points: [number, number][] = [];
    for (const p of [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100]) points.push([p, this.percentileMs(p)]);
    return points;
  }

  toJSON(): HistogramJson {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKET_COUNT; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { buckets, min: this.total === 0 ? 0 : this.minUs, max: this.maxUs, sum: this.sumUs };
  }

  static fromJSON(json: HistogramJson): LatencyHistogram {
    const histogram = new LatencyHistogram();
    for (const [index, count] of json.buckets) {
      histogram.counts[index] = count;
      histogram.total += count;
    }
    histogram.minUs = histogram.total === 0 ? Number.POSITIVE_INFINITY : json.min;
    histogram.maxUs = json.max;
    histogram.sumUs = json.sum;
    return histogram;
  }
}
