import type { MetricValueWithName } from 'prom-client';

/** One series of a {@link FastHistogram}, bound to its labels once. */
export interface HistogramSeries {
  observe(value: number): void;
}

/** What `get` gives a registry: prom-client's histogram data. */
export interface HistogramData {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: Array<MetricValueWithName<string>>;
}

interface SeriesData {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last slot: above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

/**
 * A histogram for observations made once per item on a hot path (an alert delivered). prom-client's
 * `observe` validates and hashes the label set on every call (1–3 µs here); a series of this one
 * is bound to its labels once, and an observation only adds to a bucket, the sum and the count.
 * It is registered in a prom-client registry like any metric and exposes the same family
 * (`_bucket` cumulative with `le`, `_sum`, `_count`), merged across threads like a histogram.
 */
export class FastHistogram<L extends string = string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, SeriesData>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    buckets: readonly number[],
  ) {
    this.bounds = [...buckets].sort((a, b) => a - b);
  }

  /** The series of these label values (created at its first use). */
  labels(values: Partial<Record<L, string>>): HistogramSeries {
    const own: Record<string, string> = {};
    for (const n of this.labelNames) if (values[n] !== undefined) own[n] = values[n];
    const key = this.labelNames.map((n) => values[n] ?? '').join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      s = { labels: own, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    const data = s;
    const bounds = this.bounds;
    return {
      observe: (value) => {
        if (!Number.isFinite(value)) return; // prom-client throws; an unmeasurable item is not measured
        let i = 0;
        while (i < bounds.length && value > bounds[i]!) i++;
        data.counts[i]! += 1;
        data.sum += value;
        data.count += 1;
      },
    };
  }

  /** What prom-client's histogram gives for the same observations. */
  get(): Promise<HistogramData> {
    const values: Array<MetricValueWithName<string>> = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push(pair({ le }, acc, bucket, s.labels));
      });
      values.push(pair({ le: '+Inf' }, s.count, bucket, s.labels));
      values.push(pair({}, s.sum, `${this.name}_sum`, s.labels));
      values.push(pair({}, s.count, `${this.name}_count`, s.labels));
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

/** A value as prom-client's histogram gives it: the line's own labels (`le`) first, then the series'. */
function pair(labels: Record<string, string | number>, value: number, metricName: string, sharedLabels: Record<string, string>): MetricValueWithName<string> {
  return { labels: { ...labels, ...sharedLabels }, value, metricName };
}
