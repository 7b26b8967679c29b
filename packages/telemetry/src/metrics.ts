import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { FastHistogram } from './fast.histogram.js';

/**
 * One registry per service instance. In the single-process mode every service shares the
 * process, so metrics are created once per registry and looked up by name.
 */
/** One sample of a gauge read at scrape time. */
export interface GaugeSample<L extends string> {
  labels: Partial<Record<L, string>>;
  value: number;
}

/** A registry's metrics as plain data (`registry.getMetricsAsJSON()`): what a worker thread sends. */
export type MetricsSnapshot = Array<MetricObjectWithValues<MetricValue<string>>>;

export interface MetricsOptions {
  /**
   * Collect the process metrics (`nm_process_*`, `nm_nodejs_*`) into a registry made here
   * (default true). A worker thread's registry leaves them to the main thread's: they describe
   * the process, and the main thread's exposition merges the workers' registries into its own.
   */
  defaultMetrics?: boolean;
}

export class Metrics {
  readonly registry: Registry;
  private readonly sources = new Map<string, Set<() => Promise<ReadonlyArray<GaugeSample<string>>>>>();
  private readonly remotes = new Set<() => Promise<MetricsSnapshot>>();

  constructor(readonly service: string, registry?: Registry, opts: MetricsOptions = {}) {
    this.registry = registry ?? new Registry();
    if (!registry && opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'nm_' });
  }

  /** This registry's metrics as plain data (to send to another thread). */
  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  /**
   * Merges another registry's metrics (a worker thread's, asked for at scrape time) into
   * {@link exposition}, as if they had been recorded here: a series both have is summed (the
   * same counter incremented in two threads), the others are kept as they are. A source that
   * fails contributes nothing to that scrape. Returns the unregistering function.
   */
  addRemote(source: () => Promise<MetricsSnapshot>): () => void {
    this.remotes.add(source);
    return () => void this.remotes.delete(source);
  }

  /** What `/metrics` serves: this registry's metrics and every remote source's, one family per name. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    const contentType = this.registry.contentType;
    if (this.remotes.size === 0) return { contentType, body: await this.registry.metrics() };
    const remote = await Promise.all([...this.remotes].map((f) => f().catch((): MetricsSnapshot => [])));
    return { contentType, body: await mergeSnapshots([await this.snapshot(), ...remote]).metrics() };
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Counter<L>;
    return new Counter<L>({ name, help, labelNames: [...labelNames], registers: [this.registry] });
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Gauge<L>;
    return new Gauge<L>({ name, help, labelNames: [...labelNames], registers: [this.registry] });
  }

  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets: number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  ): Histogram<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Histogram<L>;
    return new Histogram<L>({ name, help, labelNames: [...labelNames], buckets, registers: [this.registry] });
  }

  /**
   * A histogram for one observation per item on a hot path (`FastHistogram`: bind a series with
   * `labels` once, then `observe` only adds to its buckets); exposed like `histogram`'s.
   */
  fastHistogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): FastHistogram<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing instanceof FastHistogram) return existing as FastHistogram<L>;
    if (existing) throw new Error(`metric ${name} is registered already, not as a fast histogram`);
    const h = new FastHistogram<L>(name, help, labelNames, buckets);
    this.registry.registerMetric(h as unknown as Metric);
    return h;
  }

  /**
   * A gauge read at scrape time: every registered `source` (several consumers of one process
   * share the gauge) is asked for its samples when `/metrics` is read; a source that fails
   * contributes nothing to that scrape. Returns the unregistering function.
   */
  scraped<L extends string>(name: string, help: string, labelNames: readonly L[], source: () => Promise<ReadonlyArray<GaugeSample<L>>>): () => void {
    let set = this.sources.get(name);
    if (!set) {
      const fns = new Set<() => Promise<ReadonlyArray<GaugeSample<string>>>>();
      set = fns;
      this.sources.set(name, fns);
      if (!this.registry.getSingleMetric(name))
        new Gauge<string>({
          name,
          help,
          labelNames: [...labelNames],
          registers: [this.registry],
          async collect() {
            this.reset();
            const all = await Promise.all([...fns].map((f) => f().catch(() => [])));
            for (const samples of all) for (const s of samples) this.set(s.labels as Record<string, string>, s.value);
          },
        });
    }
    set.add(source);
    return () => void set.delete(source);
  }
}

/**
 * One registry holding the union of several registries' metrics of one process. A family several
 * of them have is summed series by series (prom-client's `sum`; histograms bucket by bucket); a
 * family only one has is kept as it is, whatever its aggregator (prom-client's process metrics
 * declare `omit`/`first`, meant for a cluster of processes, and are in one registry here).
 */
export function mergeSnapshots(snapshots: readonly MetricsSnapshot[]): Registry {
  const holders = new Map<string, number>();
  for (const snap of snapshots) for (const m of snap) holders.set(m.name, (holders.get(m.name) ?? 0) + 1);
  const marked = snapshots.map((snap) => snap.map((m) => ({ ...m, aggregator: holders.get(m.name) === 1 || m.aggregator === 'omit' ? 'first' : (m.aggregator ?? 'sum') })));
  return AggregatorRegistry.aggregate(marked);
}
