import { describe, expect, it } from '@jest/globals';
import { createLogger, Metrics } from '@nm/telemetry';
import { startServiceWorker } from './worker.threads.js';

const script = new URL('./test-support/worker.fixture.mjs', import.meta.url);
const logger = createLogger('test', 'silent');

const start = (mode: string, onDeath: (err: Error) => void = () => undefined, metrics = new Metrics('main', undefined, { defaultMetrics: false })) =>
  startServiceWorker({ label: 'worker 1 (a, b)', script, data: { mode }, metrics, logger, onDeath, stopTimeoutMs: 10_000 });

describe('startServiceWorker / serveWorker', () => {
  it("starts the worker's services, serves their metrics with the main thread's, and stops them", async () => {
    const metrics = new Metrics('main', undefined, { defaultMetrics: false });
    metrics.counter('nm_fixture_total', 'fixture', ['stage']).inc({ stage: 'w' });
    const deaths: Error[] = [];
    const w = await start('ok', (e) => deaths.push(e), metrics);
    const { body } = await metrics.exposition();
    expect(body).toContain('nm_fixture_total{stage="w"} 4');
    expect(body.match(/# HELP nm_fixture_total/g)).toHaveLength(1);
    await w.stop();
    // gone: its metrics are no longer asked for
    expect((await metrics.exposition()).body).toContain('nm_fixture_total{stage="w"} 1');
    expect(deaths).toEqual([]);
  });

  it('rejects naming the worker with the error its services failed to start with', async () => {
    await expect(start('fail')).rejects.toThrow(/^worker 1 \(a, b\) failed to start: boom at start$/);
  });

  it('reports a worker that dies after it started', async () => {
    let died: (e: Error) => void = () => undefined;
    const death = new Promise<Error>((r) => (died = r));
    const w = await start('die', (e) => died(e));
    expect((await death).message).toMatch(/^worker 1 \(a, b\) exited unexpectedly \(code 1\): worker crashed$/);
    await w.stop(); // nothing left to stop
  });
});
