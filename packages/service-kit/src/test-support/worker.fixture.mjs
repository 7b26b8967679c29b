// A worker script for worker.threads.test.ts (the built service-kit): `mode` says how it behaves.
import { createLogger, Metrics } from '@nm/telemetry';
import { serveWorker } from '../../dist/index.js';

serveWorker(async ({ mode }) => {
  if (mode === 'fail') throw new Error('boom at start');
  const metrics = new Metrics('fixture', undefined, { defaultMetrics: false });
  metrics.counter('nm_fixture_total', 'fixture', ['stage']).inc({ stage: 'w' }, 3);
  if (mode === 'die')
    setTimeout(() => {
      throw new Error('worker crashed');
    }, 200);
  let stopped = false;
  return {
    metrics,
    logger: createLogger('fixture', 'silent'),
    stop: async () => {
      stopped = true;
      await new Promise((r) => setTimeout(r, 50));
    },
    // keeps the thread alive until stopped (like a service's consumers)
    keep: setInterval(() => stopped, 1000),
  };
});
