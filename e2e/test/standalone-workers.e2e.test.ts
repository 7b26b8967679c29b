/**
 * The single process (`apps/standalone`, built) with its stages on worker threads
 * (`NM_STANDALONE_WORKERS`): the stages of the workers start, heartbeat, route and batch (and deliver,
 * where the senders have a worker of their own) while the main thread is blocked, trace their work (the trace ingest started), the main thread's `/metrics`
 * shows their metrics once, `stop()` drains and ends every thread, and a worker that fails to start fails `startStandalone` naming its stages,
 * leaving nothing running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { freePort, startNats, startOtlpReceiver, startRedis, waitFor, type OtlpReceiver, type PrivateNats, type PrivateRedis } from '@nm/testing';
import { streams } from '@nm/contracts';
import { parseStandaloneEnv, placementFor, startStandalone } from '@nm/standalone';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';

const reachable = (port: number): Promise<boolean> =>
  new Promise((res) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });

/**
 * A webhook receiver in a process of its own (this test's thread is blocked on purpose): answers
 * 200 and appends each body as one line to `file`.
 */
async function startSinkProcess(file: string): Promise<{ url: string; close(): Promise<void> }> {
  const code = `
    const { appendFileSync } = require('node:fs');
    const server = require('node:http').createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => { appendFileSync(process.argv[1], JSON.stringify({ path: req.url, body }) + '\\n'); res.end('ok'); });
    });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child: ChildProcess = spawn(process.execPath, ['-e', code, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (c) => reject(new Error(`the sink process exited (${c})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill()))),
  };
}

/** The bodies the sink process received for `path`. */
const received = (file: string, path: string): Array<{ alerts: Array<{ labels: Record<string, string> }> }> =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { path: string; body: string })
        .filter((r) => r.path === path)
        .map((r) => JSON.parse(r.body) as { alerts: Array<{ labels: Record<string, string> }> })
    : [];

/** Blocks this thread (its event loop: ingest, config-sync, the test) until `done()` or `ms` passed. */
function blockThread(done: () => boolean, ms: number): boolean {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (done()) return true;
    Atomics.wait(nap, 0, 0, 50);
  }
  return done();
}

/**
 * The last sequence of a JetStream stream, read from nats-server's monitoring endpoint by a child
 * process: this thread may be blocked on purpose.
 */
function lastSeq(monitorPort: number, stream: string): number {
  const code = `fetch('http://127.0.0.1:${monitorPort}/jsz?streams=true').then((r) => r.json()).then((j) => {
    const st = (j.account_details ?? []).flatMap((a) => a.stream_detail ?? []).find((d) => d.name === ${JSON.stringify(stream)});
    process.stdout.write(String(st ? st.state.last_seq : 0));
  })`;
  const out = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 10_000 });
  return Number(out.stdout) || 0;
}

/** The value of one series in an exposition (undefined when absent). */
const sample = (text: string, name: string, labels: Record<string, string>): number | undefined => {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
};

describe('the single process on worker threads (NM_STANDALONE_WORKERS)', () => {
  let nats: PrivateNats;
  let redis: PrivateRedis;
  let sink: { url: string; close(): Promise<void> };
  let configDir: string;
  let sinkFile: string;
  let otlp: OtlpReceiver;
  const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_TRACES_SAMPLER: 'always_on', OTEL_BSP_SCHEDULE_DELAY: '100' };
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'nm-standalone-workers-'));
    sinkFile = join(configDir, 'received.jsonl');
    [nats, redis, sink, otlp] = await Promise.all([startNats({ monitor: true }), startRedis(), startSinkProcess(sinkFile), startOtlpReceiver()]);
    tracing.OTEL_EXPORTER_OTLP_ENDPOINT = otlp.endpoint;
    // the main thread reads its own process.env for tracing (the workers read the source given)
    Object.assign(process.env, tracing);
    writeFileSync(join(configDir, 'nm.yaml'), notificationManager({ batchMaxWait: '1s' }));
    writeFileSync(join(configDir, 'receivers.yaml'), docs(webhookReceiver('ops', `${sink.url}/ops`, { type: 'global' })));
  });
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  afterAll(async () => {
    for (const k of Object.keys(tracing)) delete process.env[k];
    await sink?.close();
    await otlp?.close();
    await redis?.stop();
    await nats?.stop();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  const source = (ingestPort: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH ?? '',
    NATS_URL: nats.url,
    REDIS_URL: redis.url,
    NM_SECRET_KEY: 'standalone-workers-test-key-0123456789',
    NM_CONFIG_DIR: configDir,
    NM_CONFIG_POLL_MS: '200',
    NM_INGEST_PORT: String(ingestPort),
    NM_INGEST_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...extra,
  });

  it.each([1, 2])('with %i worker(s): the stages heartbeat, the workers route, batch (and, with their own thread, deliver) an alert while the main thread is blocked and trace it, /metrics shows every thread once, stop() ends it all', async (workers) => {
    const ingestPort = await freePort();
    const env = source(ingestPort, { NM_STANDALONE_WORKERS: String(workers), ...tracing });
    const died: Error[] = [];
    const app = await startStandalone(parseStandaloneEnv(env), { source: env, onWorkerDeath: (err) => died.push(err) });
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : app.stop()));
    expect(app.ingestPort).toBe(ingestPort);

    // /-/ready waits for the heartbeats of config-sync (main) and silencer, router, aggregator, sender-webhook (workers)
    await waitFor('ready', async () => (await fetch(`http://127.0.0.1:${ingestPort}/-/ready`)).status === 200, 60_000);

    const alertname = `Threads${workers}`;
    const notified = lastSeq(nats.monitorPort!, streams.notify.name);
    const traceId = randomBytes(16).toString('hex');
    const r = await fetch(`http://127.0.0.1:${ingestPort}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: JSON.stringify([{ labels: { alertname, namespace: 'team-a' }, annotations: {} }]),
    });
    expect(r.status).toBe(200);
    // ingest has published it; the main thread now stops serving anything: only stages running on
    // other threads can route and batch it (with NM_STANDALONE_WORKERS=0 this times out), and
    // deliver it where the senders have a worker of their own
    const mine = (): boolean => received(sinkFile, '/ops').some((b) => b.alerts.some((a) => a.labels['alertname'] === alertname));
    if (placementFor(workers).main.length === 0) expect(blockThread(mine, 60_000)).toBe(true);
    else {
      // with one worker the senders share the main thread: its notification is stored while the
      // thread is blocked, and delivered once it runs again
      expect(placementFor(workers).main).toContain('sender-webhook');
      expect(blockThread(() => lastSeq(nats.monitorPort!, streams.notify.name) > notified, 60_000)).toBe(true);
      expect(mine()).toBe(false);
      await waitFor('the delivery from the main thread', mine, 20_000);
    }

    // tracing is on in the workers too: the stages' spans join the trace of the POST
    const traced = (): string[] => otlp.trace(traceId).map((sp) => sp.name);
    await waitFor('spans of ingest and the stages', () => ['POST /api/v2/alerts', 'silencer process', 'router process', 'webhook deliver'].every((n) => traced().includes(n)), 20_000);
    expect(new Set(otlp.trace(traceId).map((sp) => sp.service))).toEqual(new Set(['notification-manager']));

    const res = await fetch(`http://127.0.0.1:${ingestPort}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    // one family per name: no HELP or TYPE line twice
    for (const kind of ['HELP', 'TYPE']) {
      const names = text.split('\n').filter((l) => l.startsWith(`# ${kind} `)).map((l) => l.split(' ')[2]);
      expect(names.length).toBeGreaterThan(10);
      expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    }
    // the sender's (a worker's registry), ingest's (the main thread's) and the process's
    await waitFor('the delivery is counted', async () => (sample(await (await fetch(`http://127.0.0.1:${ingestPort}/metrics`)).text(), 'nm_notifications_total', { channel: 'webhook', result: 'delivered' }) ?? 0) >= 1, 10_000);
    expect(text).toMatch(/^nm_process_cpu_seconds_total \d/m);
    expect(text).toContain('# TYPE nm_notifications_total counter');

    await app.stop();
    stopped = true;
    expect(died).toEqual([]);
    expect(await reachable(ingestPort)).toBe(false);
  });

  it('a worker that fails to start fails startStandalone with its error, naming its stages, and leaves nothing listening', async () => {
    const ingestPort = await freePort();
    const good = source(ingestPort, { NM_STANDALONE_WORKERS: '1' });
    // the worker parses its own environment: a bad one there fails its start
    const bad = { ...good, NM_SENDER_MAX_ATTEMPTS: '-1' };
    await expect(startStandalone(parseStandaloneEnv(good), { source: bad })).rejects.toThrow(
      /^worker 1 \(silencer, router, aggregator\) failed to start: invalid environment: NM_SENDER_MAX_ATTEMPTS: /,
    );
    expect(await reachable(ingestPort)).toBe(false);
  });
});
