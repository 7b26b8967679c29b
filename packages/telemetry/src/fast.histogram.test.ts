import { describe, expect, it } from '@jest/globals';
import { Histogram, Registry } from 'prom-client';
import { Metrics, mergeSnapshots } from './metrics.js';
import { FastHistogram } from './fast.histogram.js';

const BUCKETS = [0.05, 0.1, 0.25, 1, 5];
const VALUES = [0, 0.05, 0.0500001, 0.2, 0.25, 0.9, 1, 4.99, 5, 5.01, 600, Number.NaN];

describe('FastHistogram', () => {
  it('exposes exactly what prom-client\'s histogram exposes for the same observations', async () => {
    const ours = new Metrics('t', new Registry());
    const fast = ours.fastHistogram('nm_alert_latency_seconds', 'help text', ['channel'], [...BUCKETS].reverse());
    const reference = new Registry();
    const slow = new Histogram({ name: 'nm_alert_latency_seconds', help: 'help text', labelNames: ['channel'], buckets: BUCKETS, registers: [reference] });
    for (const channel of ['webhook', 'email']) {
      const series = fast.labels({ channel });
      for (const v of VALUES) {
        series.observe(v);
        if (Number.isFinite(v)) slow.observe({ channel }, v);
      }
    }
    expect(await ours.registry.metrics()).toBe(await reference.metrics());
    // as data (what a worker thread sends): the same, but for prom-client's empty exemplar slots
    const data = async (r: Registry): Promise<unknown> =>
      JSON.parse(JSON.stringify(await r.getMetricsAsJSON(), (k, v: unknown) => (k === 'exemplar' ? undefined : v))) as unknown;
    expect(await data(ours.registry)).toEqual(await data(reference));
    // the same family object for the same name; a name taken by another kind is refused
    expect(ours.fastHistogram('nm_alert_latency_seconds', 'help text', ['channel'], BUCKETS)).toBe(fast);
    ours.counter('nm_other_total', 'c');
    expect(() => ours.fastHistogram('nm_other_total', 'c', [], BUCKETS)).toThrow(/registered already/);
  });

  it('merges across threads like a histogram, series by series and bucket by bucket', async () => {
    const a = new Metrics('a', new Registry());
    const b = new Metrics('b', new Registry());
    a.fastHistogram('nm_h_seconds', 'h', ['channel'], BUCKETS).labels({ channel: 'webhook' }).observe(0.2);
    const bw = b.fastHistogram('nm_h_seconds', 'h', ['channel'], BUCKETS);
    bw.labels({ channel: 'webhook' }).observe(3);
    bw.labels({ channel: 'slack' }).observe(0.01);
    const merged = await mergeSnapshots([await a.snapshot(), await b.snapshot()]).metrics();
    expect(merged).toContain('nm_h_seconds_bucket{le="0.25",channel="webhook"} 1');
    expect(merged).toContain('nm_h_seconds_bucket{le="5",channel="webhook"} 2');
    expect(merged).toContain('nm_h_seconds_count{channel="webhook"} 2');
    expect(merged).toContain('nm_h_seconds_sum{channel="webhook"} 3.2');
    expect(merged).toContain('nm_h_seconds_count{channel="slack"} 1');
  });

  it('reset zeroes every series', async () => {
    const h = new FastHistogram('x', 'x', [], BUCKETS);
    const s = h.labels({});
    s.observe(1);
    h.reset();
    s.observe(0.01);
    const got = await h.get();
    expect(got.values.find((v) => v.metricName === 'x_count')?.value).toBe(1);
    expect(got.values.find((v) => v.metricName === 'x_sum')?.value).toBe(0.01);
  });
});
