import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per service instance. In the single-process mode every service shares the
 * process, so metrics are created once per registry and looked up by name.
 */
/** One sample of a gauge read at scrape time. */
export interface GaugeSample<L extends string> {
  labels: Partial<Record<L, string>>;
  value: number;
}

export class Metrics {
  readonly registry: Registry;
  private readonly sources = new Map<string, Set<() => Promise<ReadonlyArray<GaugeSample<string>>>>>();

  constructor(readonly service: string, registry?: Registry) {
    this.registry = registry ?? new Registry();
    if (!registry) collectDefaultMetrics({ register: this.registry, prefix: 'nm_' });
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
