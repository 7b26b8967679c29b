import { describe, expect, it } from '@jest/globals';
import { Metrics, mergeSnapshots } from './metrics.js';

describe('Metrics.exposition with remote registries (worker threads)', () => {
  it("serves the remote registries' families with its own, one family per name, the series both have summed", async () => {
    const main = new Metrics('main');
    const worker = new Metrics('worker', undefined, { defaultMetrics: false });
    main.counter('nm_shared_total', 'shared', ['stage']).inc({ stage: 'a' }, 2);
    worker.counter('nm_shared_total', 'shared', ['stage']).inc({ stage: 'a' }, 3);
    worker.counter('nm_shared_total', 'shared', ['stage']).inc({ stage: 'b' });
    worker.histogram('nm_worker_seconds', 'worker only', ['channel'], [1, 5]).observe({ channel: 'webhook' }, 2);
    main.addRemote(() => worker.snapshot());
    const { body, contentType } = await main.exposition();
    expect(contentType).toBe(main.registry.contentType);
    expect(body).toContain('nm_shared_total{stage="a"} 5');
    expect(body).toContain('nm_shared_total{stage="b"} 1');
    expect(body).toContain('nm_worker_seconds_bucket{le="5",channel="webhook"} 1');
    expect(body).toContain('nm_worker_seconds_count{channel="webhook"} 1');
    // the process metrics (aggregator `omit`/`first` in prom-client) stay, once
    expect(body).toMatch(/^nm_process_start_time_seconds \d+/m);
    for (const kind of ['HELP', 'TYPE']) {
      const names = body.split('\n').filter((l) => l.startsWith(`# ${kind} `)).map((l) => l.split(' ')[2]);
      expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    }
  });

  it('leaves out a remote that fails, and serves its own registry alone without remotes', async () => {
    const main = new Metrics('main', undefined, { defaultMetrics: false });
    main.counter('nm_own_total', 'own').inc();
    expect((await main.exposition()).body).toBe(await main.registry.metrics());
    const off = main.addRemote(() => Promise.reject(new Error('gone')));
    expect((await main.exposition()).body).toContain('nm_own_total 1');
    off();
  });

  it('mergeSnapshots keeps a family only one registry has as it is', async () => {
    const a = new Metrics('a', undefined, { defaultMetrics: false });
    a.gauge('nm_only_a', 'a').set(7);
    expect(await mergeSnapshots([await a.snapshot(), []]).metrics()).toContain('nm_only_a 7');
  });
});
