#!/usr/bin/env node
// `npm start`: the whole pipeline on this machine, with examples/config and a demo receiver.
//
// Ctrl-C (or SIGTERM/SIGHUP): the notification manager drains and exits, then the demo receiver
// and any private nats-server/redis-server this script started stop, and the script exits 0.
// A second Ctrl-C (a second or more later) stops at once (exit 1). Children run in process groups
// of their own, so a Ctrl-C typed in the terminal reaches only this script, which forwards one
// signal to each child in order (the notification manager first, while NATS and Redis are still
// up). `npm start` runs it with `exec`, so no shell in between turns the Ctrl-C into exit 130.
//
// Environment: NATS_URL, REDIS_URL (reused when reachable, else private servers are started),
// NM_SECRET_KEY, NM_CONFIG_DIR, NM_INGEST_PORT / NM_INGEST_HOST (default 19093 / 127.0.0.1),
// DEMO_RECEIVER_PORT / DEMO_RECEIVER_HOST (default 19099 / 127.0.0.1), LOG_LEVEL (default warn),
// NM_LOCAL_DIR (data of private servers and the generated secret key; default .local),
// NM_REBUILD=1 (build again first), NM_EVENTS_ENABLED=true (also export the Kubernetes events of the
// cluster of KUBECONFIG, else ~/.kube/config, as alerts, electing with a Lease in NM_NAMESPACE,
// default here: default; docs/sources.md).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNats, ensureRedis } from './local-services.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const local = resolve(process.env.NM_LOCAL_DIR ?? join(root, '.local'));
const examplesDir = join(root, 'examples/config');
const log = (m) => process.stdout.write(`[start] ${m}\n`);
const fail = (m) => process.stderr.write(`[start] ${m}\n`);

/** Private nats-server / redis-server, in start order. */
const servers = [];
let demo;
let app;
let stopping = false;
let forced = false;
/** The start-up step in progress (it may spawn a server); shutdown waits for it. */
let step = Promise.resolve();
const track = (p) => {
  step = p.then(
    () => undefined,
    () => undefined,
  );
  return p;
};

const running = (c) => c !== undefined && c.exitCode === null && c.signalCode === null;
const exited = (c, ms) =>
  new Promise((res) => {
    if (!running(c)) return res(true);
    const t = setTimeout(() => res(false), ms);
    c.once('exit', () => {
      clearTimeout(t);
      res(true);
    });
  });
const describeExit = (c) => (c.exitCode !== null ? `exit code ${c.exitCode}` : `signal ${c.signalCode}`);

async function stopChild(c, ms) {
  if (!running(c)) return;
  c.kill('SIGTERM');
  if (!(await exited(c, ms))) {
    c.kill('SIGKILL');
    await exited(c, 2000);
  }
}

/** Stops everything in order and exits: `code`, or 1 when the notification manager did not stop cleanly. */
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  await step;
  let exitCode = code;
  if (running(app)) {
    log('stopping: the notification manager drains (Ctrl-C again to stop at once)…');
    app.kill('SIGTERM');
    if (!(await exited(app, 60_000))) {
      fail('the notification manager did not stop within 60 s; killed');
      app.kill('SIGKILL');
      await exited(app, 5000);
      exitCode = 1;
    } else if (app.exitCode === 0) {
      log('notification manager stopped');
    } else if (app.signalCode === 'SIGTERM' && !forced) {
      // Still starting (its signal handlers come last): nothing to drain yet; what ingest accepted is in JetStream.
      log('notification manager stopped while starting');
    } else {
      fail(`notification manager stopped with ${describeExit(app)}`);
      exitCode = 1;
    }
  }
  await stopChild(demo, 5000);
  for (const s of [...servers].reverse()) await stopChild(s, 15_000);
  if (forced) exitCode = 1;
  process.exit(exitCode);
}

let firstSignalAt = 0;
function onSignal() {
  if (!stopping) {
    firstSignalAt = Date.now();
    return void shutdown(0);
  }
  // A second Ctrl-C while the notification manager drains: it exits at once, without draining.
  // Signals within a second of the first are the same Ctrl-C (npm forwards the terminal's to its child).
  if (forced || !running(app) || Date.now() - firstSignalAt < 1000) return;
  forced = true;
  log('stopping at once');
  app.kill('SIGTERM');
}
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, onSignal);
// Children live in their own process groups: never leave them behind if this script dies.
process.on('exit', () => {
  for (const c of [app, demo, ...servers]) if (running(c)) c.kill('SIGKILL');
});

function portOf(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name} must be a port number (1-65535), got "${raw}"`);
  return n;
}

/** Undefined when `host:port` can be listened on, else the error code. */
function listenProblem(port, host) {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', (err) => res(err.code ?? err.message));
    srv.listen({ port, host }, () => srv.close(() => res(undefined)));
  });
}

async function checkPort(port, host, what, envName, hint = '') {
  const problem = await listenProblem(port, host);
  if (problem === undefined) return;
  if (problem === 'EADDRINUSE') throw new Error(`port ${port} (${what}) is already in use: stop what listens there, or set ${envName} to another port${hint}`);
  throw new Error(`cannot listen on ${host}:${port} (${what}): ${problem}; set ${envName} to another port${hint}`);
}

async function waitReady(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!stopping && Date.now() < deadline) {
    try {
      const r = await fetch(url);
      if (r.ok) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function main() {
  const configDir = resolve(process.env.NM_CONFIG_DIR ?? examplesDir);
  const port = portOf('NM_INGEST_PORT', 19093);
  const host = process.env.NM_INGEST_HOST ?? '127.0.0.1';
  const demoPort = portOf('DEMO_RECEIVER_PORT', 19099);
  const demoHost = process.env.DEMO_RECEIVER_HOST ?? '127.0.0.1';
  // Before anything is started: a port in use is one line, not a stack trace after "ready".
  await checkPort(port, host, 'ingest API', 'NM_INGEST_PORT');
  await checkPort(
    demoPort,
    demoHost,
    'demo receiver',
    'DEMO_RECEIVER_PORT',
    configDir === examplesDir ? ' (the example Receivers in examples/config send to 127.0.0.1:19099)' : '',
  );

  mkdirSync(local, { recursive: true });
  const entry = join(root, 'apps/standalone/dist/main.js');
  if (!existsSync(entry) || process.env.NM_REBUILD === '1') {
    log('building (first run)…');
    const r = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('build failed');
  }
  if (stopping) return;
  const nats = await track(ensureNats(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', local, (c) => servers.push(c), [port, demoPort]));
  log(`NATS:  ${nats.url}${nats.started ? ' (private nats-server started)' : ' (reused)'}`);
  if (stopping) return;
  const redis = await track(ensureRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', local, (c) => servers.push(c), [port, demoPort]));
  log(`Redis: ${redis.url}${redis.started ? ' (private redis-server started)' : ' (reused)'}`);
  if (stopping) return;

  const keyFile = join(local, 'secret-key');
  if (!process.env.NM_SECRET_KEY && !existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const secretKey = process.env.NM_SECRET_KEY ?? readFileSync(keyFile, 'utf8').trim();

  demo = spawn(process.execPath, [join(root, 'scripts/demo-receiver.mjs')], {
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
    env: { ...process.env, DEMO_RECEIVER_PORT: String(demoPort), DEMO_RECEIVER_HOST: demoHost },
  });
  demo.on('exit', () => {
    if (stopping) return;
    fail(`the demo receiver stopped (${describeExit(demo)}); stopping`);
    void shutdown(1);
  });
  // as the images run every service: garbage collection on the process's own threads (docs/performance.md)
  app = spawn(process.execPath, ['--single-threaded-gc', entry], {
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
    env: {
      ...process.env,
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      NM_SECRET_KEY: secretKey,
      NM_CONFIG_DIR: configDir,
      NM_INGEST_PORT: String(port),
      NM_INGEST_HOST: host,
      // the event exporter's Lease: in a local cluster notification-manager's namespace rarely exists
      ...(process.env.NM_EVENTS_ENABLED === 'true' && !process.env.NM_NAMESPACE ? { NM_NAMESPACE: 'default' } : {}),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
  });
  app.on('exit', () => {
    if (stopping) return;
    fail(`notification manager stopped (${describeExit(app)}); stopping`);
    void shutdown(1);
  });

  const base = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`;
  const readyUrl = `${base}/-/ready`;
  if (!(await waitReady(readyUrl, 120_000))) {
    if (stopping) return;
    fail(`not ready after 120 s (${readyUrl}); see the log above`);
    return void shutdown(1);
  }
  if (stopping) return;
  log(`ready: ${base}  (config: ${configDir})`);
  log(`try:   curl -XPOST -H 'content-type: application/json' ${base}/api/v2/alerts -d '[{"labels":{"alertname":"Demo","namespace":"team-a","severity":"warning"},"annotations":{"message":"hello"}}]'`);
  log('Ctrl-C stops everything.');
}

main().catch((err) => {
  fail(err.message);
  void shutdown(1);
});
