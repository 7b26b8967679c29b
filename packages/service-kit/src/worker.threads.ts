/**
 * Services on a `node:worker_threads` Worker of the process (the single-process mode spreads its
 * stages over the cores this way). The services of a worker are started by a script that calls
 * {@link serveWorker}; the main thread starts it with {@link startServiceWorker}, which:
 *
 * - resolves once the worker's services started, and rejects naming the worker (its label) with
 *   the error they failed with, or with how the worker exited;
 * - merges the worker's metrics into the main thread's `Metrics` (`addRemote`): on each scrape the
 *   worker is asked for its registry (`registry.getMetricsAsJSON()`) by message;
 * - stops the worker's services on `stop()` (they drain as in their own process) and waits for the
 *   worker to exit, terminating it after `stopTimeoutMs`;
 * - reports a worker that exits on its own after it started to `onDeath` (its services are gone:
 *   the caller ends the process rather than keep half a pipeline).
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { Logger, Metrics, MetricsSnapshot } from '@nm/telemetry';
import type { Stoppable } from './service.run.js';

/** Main thread to worker. */
type ToWorker = { kind: 'metrics'; id: number } | { kind: 'stop' };
/** Worker to main thread. */
type FromWorker =
  | { kind: 'started' }
  | { kind: 'failed'; message: string }
  | { kind: 'metrics'; id: number; snapshot: MetricsSnapshot }
  | { kind: 'stopped'; error?: string };

/** What a worker's start function returns: its services, their metrics and the logger to flush. */
export interface WorkerServices {
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Stops the services (draining their consumers) and closes their runtimes. */
  stop(): Promise<void>;
}

export interface ServiceWorkerOptions {
  /** Names the worker and its services in logs and errors, e.g. `worker 1 (silencer, router)`. */
  label: string;
  /** The worker's script (it calls `serveWorker`). */
  script: URL;
  /** Given to the script's start function (structured-cloned). */
  data: unknown;
  /** The worker's `process.env` (default: this thread's). */
  env?: NodeJS.ProcessEnv;
  /** The main thread's metrics: the worker's are merged into its exposition. */
  metrics: Metrics;
  logger: Logger;
  /** Called once when the worker exits after it started without being asked to stop. */
  onDeath(err: Error): void;
  /** How long `stop()` waits for the services to drain before terminating the worker (default 45 s). */
  stopTimeoutMs?: number;
  /** How long a scrape waits for the worker's metrics (default 5 s; none from it on that scrape). */
  metricsTimeoutMs?: number;
}

/** Starts a worker thread and waits for its services to start (see the module comment). */
export function startServiceWorker(opts: ServiceWorkerOptions): Promise<Stoppable> {
  const stopTimeoutMs = opts.stopTimeoutMs ?? 45_000;
  const metricsTimeoutMs = opts.metricsTimeoutMs ?? 5_000;
  const worker = new Worker(opts.script, { workerData: opts.data, env: opts.env ?? process.env });
  let state: 'starting' | 'running' | 'stopping' | 'exited' = 'starting';
  let lastError: Error | undefined;
  let stopError: string | undefined;
  let nextId = 0;
  const pending = new Map<number, (s: MetricsSnapshot) => void>();
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));

  const askMetrics = (): Promise<MetricsSnapshot> =>
    new Promise((resolve, reject) => {
      if (state === 'exited') return reject(new Error(`${opts.label} has exited`));
      const id = ++nextId;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${opts.label} did not answer for its metrics within ${metricsTimeoutMs} ms`));
      }, metricsTimeoutMs);
      pending.set(id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      worker.postMessage({ kind: 'metrics', id } satisfies ToWorker);
    });
  let unregister: (() => void) | undefined;

  return new Promise<Stoppable>((resolve, reject) => {
    worker.on('error', (err) => {
      lastError = err;
      if (state !== 'starting') opts.logger.error({ worker: opts.label, err: err.message }, 'uncaught error in a worker thread');
    });
    worker.on('message', (msg: FromWorker) => {
      if (msg.kind === 'metrics') {
        pending.get(msg.id)?.(msg.snapshot);
        pending.delete(msg.id);
      } else if (msg.kind === 'started' && state === 'starting') {
        state = 'running';
        unregister = opts.metrics.addRemote(askMetrics);
        resolve({ stop });
      } else if (msg.kind === 'failed') {
        lastError = new Error(msg.message);
        void worker.terminate();
      } else if (msg.kind === 'stopped') {
        stopError = msg.error;
        void worker.terminate();
      }
    });
    void exited.then((code) => {
      const was = state;
      state = 'exited';
      unregister?.();
      if (was === 'starting') reject(new Error(`${opts.label} failed to start: ${lastError?.message ?? `the worker exited with code ${code}`}`));
      else if (was === 'running') opts.onDeath(new Error(`${opts.label} exited unexpectedly (code ${code})${lastError ? `: ${lastError.message}` : ''}`));
    });
  });

  async function stop(): Promise<void> {
    if (state !== 'running') return void (await exited);
    state = 'stopping';
    worker.postMessage({ kind: 'stop' } satisfies ToWorker);
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), stopTimeoutMs)))]);
    clearTimeout(timer);
    if (!inTime) {
      opts.logger.warn({ worker: opts.label, timeoutMs: stopTimeoutMs }, 'a worker thread did not stop in time; terminated');
      await worker.terminate();
    }
    if (stopError) opts.logger.warn({ worker: opts.label, err: stopError }, 'stopping the services of a worker thread failed');
  }
}

/**
 * The body of a worker's script: starts its services with `start(workerData)`, then answers the
 * main thread's metrics requests and stops them when asked (see `startServiceWorker`).
 */
export function serveWorker(start: (data: unknown) => Promise<WorkerServices>): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorker runs in a worker thread (started by startServiceWorker)');
  const post = (msg: FromWorker): void => port.postMessage(msg);
  const starting = start(workerData);
  starting.then(
    () => post({ kind: 'started' }),
    (err: unknown) => post({ kind: 'failed', message: err instanceof Error ? err.message : String(err) }),
  );
  port.on('message', (msg: ToWorker) => {
    void starting.then(
      async (services) => {
        if (msg.kind === 'metrics') {
          post({ kind: 'metrics', id: msg.id, snapshot: await services.metrics.snapshot().catch((): MetricsSnapshot => []) });
          return;
        }
        let error: string | undefined;
        try {
          await services.stop();
        } catch (err) {
          error = (err as Error).message;
        }
        // the main thread terminates the worker on `stopped`: the log lines go out first
        await new Promise<void>((resolve) => services.logger.flush(() => resolve()));
        post(error === undefined ? { kind: 'stopped' } : { kind: 'stopped', error });
      },
      () => undefined,
    );
  });
}
