#!/usr/bin/env node
// End-to-end benchmark: alerts/s from POST to webhook delivery, latency p50/p99, RSS, notifications.
// Runs both modes (the single-process build and one process per service) against private
// nats-server/redis-server and, when installed, Alertmanager on the same workload and sink, in one
// run; prints figures, asserts nothing, writes nothing unless --out is given.
// Usage: npm run bench -- [--alerts 100000] [--tenants 1000] [--batch 200] [--inflight 16] [--wait 100]
//   [--modes single,split] [--stateful] [--no-alertmanager] [--tracing] [--bus-stats] [--repeat N] [--out file.json]
//   [--warmup 20000] [--warmup-alertmanager] [--timeline]
// --timeline: after each measured run, the alerts delivered per 250 ms from its first POST, and the latency
//   (p50 / p90) of each fifth of the alerts by posting order: where a run's time went (waves, holds, idle gaps);
//   with the cores busy per 250 ms: the machine's, the system's, and the single process's main thread and
//   busiest other thread (which thread is the limit, or whether the run waits).
// --wait: our batchMaxWait (stateful: groupWait) and Alertmanager's group_wait, in ms; Alertmanager's
//   group_interval (and our stateful groupInterval) is 1s.
// --split: shorthand for --modes split. NM_* variables and NODE_OPTIONS set for the bench reach the services;
//   BENCH_NODE_ARGS (node options) too, after the chart's nodeArgs that one process per service runs with.
// --tracing: runs the workload twice on fresh servers, tracing off (no OTLP endpoint) and on (100% sampling,
// OTLP/HTTP JSON to a receiver in this script on loopback), and prints both throughputs and their ratio.
// --repeat N: N rounds of every mode and Alertmanager, each ratio taken within its round; prints the median and
// range of the ratios (the lower middle value for an even N; the noise between runs is larger than most changes).
// --bus-stats: bytes per subject from a live subscription to nm.> (perturbs the run: more work for nats-server
// and this process; off by default, when bytes are counted per connection by nats-server's monitoring port).
// --stateful: stateful aggregation (Alertmanager timing: groupWait 500ms, groupInterval 1s) instead of batch mode.
// When Alertmanager is installed, the same workload also runs through it, delivering to the same sink.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { startNats, startRedis, freePort, waitFor, startOtlpReceiver } = await import(join(root, 'packages/testing/dist/index.js'));
// subject names come from the contracts, as in the services
const { subjects: busSubjects } = await import(join(root, 'packages/contracts/dist/index.js'));
// the single process's default number of stage workers, as it computes it
const { DEFAULT_WORKERS } = await import(join(root, 'apps/standalone/dist/index.js'));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const sarg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const ALERTS = arg('alerts', 100000);
const TENANTS = arg('tenants', 1000);
const BATCH = arg('batch', 200);
const INFLIGHT = arg('inflight', 16);
const WAIT_MS = arg('wait', 100);
// --warmup N: N alerts (other alert names, other pods) through our services before the measured
// run, delivered in full, so that it measures them warm, as a deployed service runs: V8 compiles a
// Node service's hot paths in its first seconds under load (the cold run is `--warmup 0`).
// Alertmanager is a compiled Go binary with nothing to warm, and the warm-up's alerts would stay
// active in it through the run (its store has no TTL shorter than 30 minutes): it runs cold, unless
// --warmup-alertmanager warms it the same way.
const WARMUP = arg('warmup', 20000);
const WARMUP_AM = process.argv.includes('--warmup-alertmanager');
const STATEFUL = process.argv.includes('--stateful');
const MODES = process.argv.includes('--split') ? ['split'] : sarg('modes', 'single,split').split(',');
const OUT = sarg('out', undefined);
const TIMELINE = process.argv.includes('--timeline');

// sink: counts notifications and distinct alerts (an alert notified again, as Alertmanager does at
// every group_interval while its group changes, counts once), latency at an alert's first arrival
let received = 0;
let repeats = 0;
let notifications = 0;
/** Pods of the alerts the current drive posts start with it (`p` measured, `w` warm-up): others are counted apart. */
let podPrefix = 'p';
let strays = 0;
const latencies = [];
/** With --timeline: [posted, first arrival] (ms) of every alert of the measured run. */
const arrivals = [];
const seen = new Set();
const sink = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const now = Date.now();
    notifications += 1;
    try {
      for (const a of JSON.parse(body).alerts ?? []) {
        const key = a.labels?.pod;
        if (typeof key !== 'string' || !key.startsWith(podPrefix)) {
          strays += 1; // a late repeat of the warm-up's alerts
          continue;
        }
        if (seen.has(key)) {
          repeats += 1;
          continue;
        }
        seen.add(key);
        received += 1;
        const sentAt = Number(a.annotations?.sentAt ?? now);
        latencies.push(now - sentAt);
        if (TIMELINE) arrivals.push([sentAt, now]);
      }
    } catch {
      /* ignore */
    }
    res.writeHead(200);
    res.end('{}');
  });
});
await new Promise((r) => sink.listen(0, '127.0.0.1', r));
const sinkUrl = `http://127.0.0.1:${sink.address().port}`;

const dir = mkdtempSync(join(tmpdir(), 'nm-bench-'));
const docs = [
  `apiVersion: notification.kubesphere.io/v2beta2
kind: NotificationManager
metadata: {name: notification-manager}
spec:
  receivers: {tenantKey: namespace, globalReceiverSelector: {matchLabels: {type: global}}, tenantReceiverSelector: {matchLabels: {type: tenant}}}
  groupLabels: [alertname, namespace]
  batchMaxSize: 1000
  batchMaxWait: ${WAIT_MS}ms
  aggregation: ${STATEFUL ? `{mode: stateful, groupWait: ${WAIT_MS}ms, groupInterval: 1s, repeatInterval: 1h, sendResolved: false}` : '{mode: batch}'}`,
];
for (let t = 0; t < TENANTS; t++)
  docs.push(`apiVersion: notification.kubesphere.io/v2beta2
kind: Receiver
metadata: {name: t${t}, labels: {type: tenant, namespace: ns-${t}}}
spec: {webhook: {url: "${sinkUrl}/t${t}"}}`);
writeFileSync(join(dir, 'config.yaml'), docs.join('\n---\n'));

let SPLIT = false;
const TRACING = process.argv.includes('--tracing');
const BUS_STATS = process.argv.includes('--bus-stats');
const REPEAT = Math.max(1, arg('repeat', 1));
const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
// Every process runs with the node options the chart, docker-compose and the images give every service
// (the chart's `nodeArgs`, read from its values.yaml; `npm start` passes the same), then BENCH_NODE_ARGS.
const chartNodeArgs = (() => {
  const values = parseYaml(readFileSync(join(root, 'charts/notification-manager/values.yaml'), 'utf8'));
  const args = values?.nodeArgs ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new Error('charts/notification-manager/values.yaml: nodeArgs must be a list of strings');
  return args;
})();
/** A run's CPU per alert over all of its processes (ours: the services, nats-server and redis-server). */
const cpuTotal = (r) => Object.values(r.cost.cpuMicrosPerAlert).reduce((a, b) => a + b, 0);
// split: one process per service (the deployed shape); single: the single-process build.
const servicesOf = (split) => (split ? ['config-sync', 'ingest', 'silencer', 'router', 'aggregator', 'sender-webhook'] : ['standalone']);
let nats;
let redis;
let port;
let procs = [];
/** Private nats-server and redis-server, and the services under `extraEnv`. */
async function startNm(extraEnv = {}) {
  nats = await startNats({ monitor: true });
  redis = await startRedis();
  port = await freePort();
  // NM_* variables and NODE_OPTIONS of the bench's own environment reach the services (e.g. NM_STANDALONE_WORKERS=2)
  const passed = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('NM_') || k === 'NODE_OPTIONS'));
  const baseEnv = { PATH: process.env.PATH, NATS_URL: nats.url, REDIS_URL: redis.url, NM_SECRET_KEY: 'bench-secret-key-0123456789', LOG_LEVEL: 'warn', NM_HEALTH_PORT: '0', ...passed };
  procs = servicesOf(SPLIT).map((svc) =>
    spawn(process.execPath, [...chartNodeArgs, ...nodeArgs, join(root, 'apps', svc, 'dist/main.js')], {
      env: { ...baseEnv, ...extraEnv, NM_CONFIG_DIR: dir, NM_INGEST_PORT: String(port), NM_INGEST_HOST: '127.0.0.1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
  await waitFor('ready', async () => (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.ok, 120000);
}
async function stopNm() {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise((r) => {
          const t = setTimeout(r, 15000);
          p.once('exit', () => {
            clearTimeout(t);
            r();
          });
          p.kill('SIGTERM');
        }),
    ),
  );
  procs = [];
  await nats?.stop();
  await redis?.stop();
}
/** CPU seconds (user + system) a process has used so far, from /proc. */
const cpuOf = (pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100/s)
  } catch {
    return 0;
  }
};
/** Read and write system calls of a process so far (/proc/PID/io: syscr, syscw; every thread). */
const syscallsOf = (pid) => {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { reads: Number(/^syscr: (\d+)/m.exec(io)?.[1] ?? 0), writes: Number(/^syscw: (\d+)/m.exec(io)?.[1] ?? 0) };
  } catch {
    return { reads: 0, writes: 0 };
  }
};
/** The single process's stage workers: NM_STANDALONE_WORKERS as the bench passes it, else the process's default. */
const stageWorkerCount = () => (process.env.NM_STANDALONE_WORKERS !== undefined ? Number(process.env.NM_STANDALONE_WORKERS) : DEFAULT_WORKERS);
/** CPU seconds (user + system) of each thread of a process so far, by thread id (/proc/PID/task). */
const threadCpuOf = (pid) => {
  const out = new Map();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
        out.set(Number(tid), (Number(f[11]) + Number(f[12])) / 100);
      } catch {
        /* the thread ended */
      }
    }
  } catch {
    /* the process ended */
  }
  return out;
};
/**
 * The single process's CPU per alert by kind of thread: its main thread (ingest, config-sync and, with
 * one worker, the senders), its stage workers (Node names no threads: the `workers` busiest of the
 * others), and the rest: V8's helper threads (parallel and concurrent garbage collection, background
 * compilation) and libuv's pool.
 */
const threadsPerAlert = (pid, before, after, workers, alerts) => {
  const used = [...after].map(([tid, t]) => [tid, t - (before.get(tid) ?? 0)]);
  const main = used.find(([tid]) => tid === pid)?.[1] ?? 0;
  const others = used.filter(([tid]) => tid !== pid).map(([, t]) => t).sort((a, b) => b - a);
  const sum = (list) => list.reduce((a, b) => a + b, 0);
  const us = (t) => Math.round((t * 1e6) / alerts);
  return { main: us(main), stageWorkers: us(sum(others.slice(0, workers))), helpers: us(sum(others.slice(workers))) };
};
/** The machine's CPU time so far, all processes (/proc/stat, clock ticks): busy (not idle or waiting for I/O) and in all. */
const machineTicks = () => {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const t = lines[0].trim().split(/\s+/).slice(1).map(Number);
  const all = t.reduce((a, b) => a + b, 0);
  return { busy: all - t[3] - (t[4] ?? 0), all, cores: lines.filter((l) => /^cpu\d/.test(l)).length };
};
/** The pid of the process whose command line contains every one of `parts` (our private servers). */
const pidOf = (...parts) => {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ');
      if (parts.every((p) => cmd.includes(p))) return Number(d);
    } catch {
      /* gone */
    }
  }
  return undefined;
};
/**
 * What one run costs, measured from outside the services: CPU per process (/proc), messages and
 * bytes per connection and messages per stream (nats-server's monitoring endpoints, read before and
 * after: nothing extra on the bus while the run is measured), Redis commands (INFO commandstats).
 * `--bus-stats` adds bytes per subject from a core NATS subscription to nm.> and to JetStream acks
 * (every JetStream publish is also a plain publish); that subscription doubles what nats-server
 * delivers and costs the machine CPU during the run, so it is off by default.
 */
async function costObserver(services) {
  const { Redis } = await import('ioredis');
  // only --bus-stats needs a connection of its own (and it perturbs the run)
  const nc = BUS_STATS ? await (await import('@nats-io/transport-node')).connect({ servers: nats.url, name: 'bench-observer' }) : undefined;
  const subjects = new Map();
  const count = (key, bytes) => {
    const e = subjects.get(key) ?? { msgs: 0, bytes: 0 };
    e.msgs += 1;
    e.bytes += bytes;
    subjects.set(key, e);
  };
  // per-channel and per-tenant subjects are counted by family (nm.notify.*, nm.history.*, nm.dlq.*)
  const families = [busSubjects.notifyAll, busSubjects.historyAll, busSubjects.dlqAll].map((f) => f.slice(0, -1));
  const keyOf = (subject) => {
    const family = families.find((f) => subject.startsWith(f));
    return family ? `${family}*` : subject;
  };
  for (const all of [busSubjects.alertsAll, busSubjects.notifyAll, busSubjects.historyAll, busSubjects.dlqAll])
    nc?.subscribe(all, { callback: (_e, m) => count(keyOf(m.subject), m.data.length + (m.headers ? m.headers.toString().length : 0)) });
  nc?.subscribe('$JS.ACK.>', { callback: (_e, m) => count('$JS.ACK (acks)', m.data.length) });
  const monitor = async (path) => (await fetch(`http://127.0.0.1:${nats.monitorPort}${path}`)).json();
  const connections = async () => new Map((await monitor('/connz?limit=4096')).connections.map((c) => [c.cid, c]));
  const streamSeqs = async () => {
    const out = {};
    for (const a of (await monitor('/jsz?streams=true')).account_details ?? []) for (const st of a.stream_detail ?? []) out[st.name] = st.state.last_seq;
    return out;
  };
  const conns0 = await connections();
  const seqs0 = await streamSeqs();
  const r = new Redis(redis.url);
  const commandStats = async () => {
    const out = {};
    for (const line of (await r.info('commandstats')).split('\n')) {
      const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
      if (m) out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
    }
    return out;
  };
  const pids = { ...services, 'nats-server': pidOf('nats-server', `-p ${nats.port}`), 'redis-server': pidOf('redis-server', `:${redis.port}`) };
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)]));
  const threads0 = pids.standalone ? threadCpuOf(pids.standalone) : undefined;
  const sys0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, syscallsOf(pid)]));
  const redis0 = await commandStats();
  return async (alerts, notificationCount) => {
    await nc?.flush();
    const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, Math.round(((cpuOf(pid) - cpu0[k]) * 1e6) / alerts)]));
    const syscalls = Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => {
        const now = syscallsOf(pid);
        return [k, { reads: +((now.reads - sys0[k].reads) / alerts).toFixed(3), writes: +((now.writes - sys0[k].writes) / alerts).toFixed(3) }];
      }),
    );
    const threads = threads0 ? threadsPerAlert(pids.standalone, threads0, threadCpuOf(pids.standalone), stageWorkerCount(), alerts) : undefined;
    const redis1 = await commandStats();
    const redisCalls = {};
    let redisTotal = 0;
    for (const [cmd, v] of Object.entries(redis1)) {
      const calls = v.calls - (redis0[cmd]?.calls ?? 0);
      if (calls > 0 && cmd !== 'info') {
        redisCalls[cmd] = calls;
        redisTotal += calls;
      }
    }
    const conns1 = await connections();
    const seqs1 = await streamSeqs();
    await nc?.close();
    r.disconnect();
    const per = (n, d) => +(n / d).toFixed(2);
    const byConnection = {};
    for (const [cid, c] of conns1) {
      if (c.name === 'bench-observer') continue;
      const b = conns0.get(cid) ?? { in_msgs: 0, in_bytes: 0, out_msgs: 0, out_bytes: 0 };
      const name = `${c.name || 'unnamed'} #${cid}`;
      const published = c.in_bytes - b.in_bytes;
      if (published === 0 && c.out_bytes === b.out_bytes) continue;
      byConnection[name] = { publishedMsgs: c.in_msgs - b.in_msgs, publishedBytesPerAlert: Math.round(published / alerts), receivedMsgs: c.out_msgs - b.out_msgs, receivedBytesPerAlert: Math.round((c.out_bytes - b.out_bytes) / alerts) };
    }
    const streams = Object.fromEntries(Object.entries(seqs1).map(([k, v]) => [k, { msgs: v - (seqs0[k] ?? 0), msgsPerAlert: per(v - (seqs0[k] ?? 0), alerts) }]).filter(([, v]) => v.msgs > 0));
    return {
      note: 'per alert unless named; CPU in µs of user+system time per alert (/proc); bytes per connection as nats-server counted them (protocol included); bytes per subject (--bus-stats) as published (payload + headers)',
      cpuMicrosPerAlert: cpu,
      ...(threads ? { standaloneThreadsMicrosPerAlert: threads } : {}),
      syscallsPerAlert: syscalls,
      streams,
      connections: byConnection,
      bus: BUS_STATS ? Object.fromEntries(
        [...subjects].sort().map(([k, v]) => [k, { msgs: v.msgs, msgsPerAlert: per(v.msgs, alerts), bytesPerAlert: Math.round(v.bytes / alerts), bytesPerMsg: Math.round(v.bytes / v.msgs) }]),
      ) : 'per subject with --bus-stats',
      redis: { commands: redisCalls, perAlert: per(redisTotal, alerts), perNotification: notificationCount ? per(redisTotal, notificationCount) : undefined },
    };
  };
}
/** The warm-up (--warmup): its alerts delivered in full, then a pause for late repeats; not measured. */
async function warmUp(url, pid) {
  if (WARMUP <= 0) return;
  await drive(url, pid, { count: WARMUP, prefix: 'w', alertname: 'W' });
  await new Promise((r) => setTimeout(r, 2000));
}
/** One run of the workload through notification-manager under `extraEnv`. */
async function runNm(extraEnv = {}) {
  await startNm(extraEnv);
  try {
    await warmUp(`http://127.0.0.1:${port}/api/v2/alerts`, procs.map((p) => p.pid));
    const names = servicesOf(SPLIT);
    const cost = await costObserver(Object.fromEntries(procs.map((p, i) => [names[i], p.pid])));
    const figures = await drive(`http://127.0.0.1:${port}/api/v2/alerts`, procs.map((p) => p.pid));
    return { mode: modeName(SPLIT ? 'split' : 'single'), aggregation: STATEFUL ? 'stateful' : 'batch', ...figures, cost: await cost(ALERTS, figures.notifications) };
  } finally {
    await stopNm();
  }
}
const rssOf = (pids) => {
  let sum = 0;
  for (const pid of [pids].flat()) {
    try {
      sum += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
    } catch {
      /* gone */
    }
  }
  return sum;
};
/** How the tables name a mode of ours (`single`, `split`). */
const modeName = (m) => (m === 'split' ? 'one process per service' : 'single process');
/** Posts ALERTS alerts in batches of BATCH to `url`, waits for the sink to count them all, returns figures. */
async function drive(url, pid, { count = ALERTS, prefix = 'p', alertname = 'A' } = {}) {
  podPrefix = prefix;
  strays = 0;
  received = 0;
  repeats = 0;
  notifications = 0;
  latencies.length = 0;
  arrivals.length = 0;
  seen.clear();
  const t0 = Date.now();
  // what the run cost the whole machine, and this script's own share (the driver's POSTs and the sink)
  const machine0 = machineTicks();
  const driver0 = process.cpuUsage();
  let peakRss = 0;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssOf(pid))), 200);
  // per thread only for the single process (ours come as a list of pids; Alertmanager's Go threads say nothing apart)
  const cores = TIMELINE && prefix === 'p' ? coresSampler(pid, t0, Array.isArray(pid) && pid.length === 1) : undefined;
  const posts = [];
  for (let i = 0; i < count; i += BATCH) {
    const alerts = [];
    for (let j = i; j < Math.min(count, i + BATCH); j++)
      alerts.push({ labels: { alertname: `${alertname}${j % 10}`, namespace: `ns-${j % TENANTS}`, pod: `${prefix}${j}` }, annotations: { sentAt: String(Date.now()) } });
    posts.push(fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) }).then((r) => r.status));
    if (posts.length % INFLIGHT === 0) await Promise.all(posts.slice(-INFLIGHT));
  }
  const statuses = await Promise.all(posts);
  const accepted = Date.now() - t0;
  await waitFor('all delivered', () => received >= count, 600000, 50);
  const total = Date.now() - t0;
  const machine1 = machineTicks();
  const driver = process.cpuUsage(driver0);
  clearInterval(rssTimer);
  const coresUsed = cores?.stop();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return {
    non2xx: statuses.filter((s) => s < 200 || s > 299).length,
    acceptSeconds: accepted / 1000,
    endToEndSeconds: total / 1000,
    alertsPerSecond: Math.round(count / (total / 1000)),
    latencyMs: { p50: pct(50), p99: pct(99), max: latencies[latencies.length - 1] },
    peakRssMiB: Math.round(peakRss),
    delivered: received,
    notifications,
    repeatedAlerts: repeats,
    // cores busy on average from the first POST to the last delivery (every process: a saturated
    // 2-core machine shows about 2), and the CPU this script spent per alert driving and receiving
    machineBusyCores: +(((machine1.busy - machine0.busy) / Math.max(1, machine1.all - machine0.all)) * machine1.cores).toFixed(2),
    driverCpuMicrosPerAlert: Math.round((driver.user + driver.system) / count),
    ...(strays > 0 ? { warmupRepeatsDuringRun: strays } : {}),
    ...(TIMELINE && prefix === 'p' ? { timeline: { ...timelineOf(arrivals, t0), cores: coresUsed } } : {}),
  };
}

/**
 * With --timeline, the cores busy in each 250 ms step from the first POST (/proc, clock ticks of 10 ms):
 * the whole machine's, the system under test's (every process of `pids`), and for one process (the
 * single process) its main thread's and its busiest other thread's (the stage worker, unless V8's
 * helpers outdid it in that step). Where the machine idles while one thread is at a full core, that
 * thread is the limit; where every thread is below one and the machine idles too, the run waits.
 */
function coresSampler(pids, t0, perThread) {
  const list = [pids].flat();
  const stepMs = 250;
  const steps = [];
  // (not the module's `cpuOf`: this one reads every thread, once per step)
  const sample = () => {
    const threads = list.map((p) => threadCpuOf(p));
    const total = threads.reduce((a, m) => a + [...m.values()].reduce((x, y) => x + y, 0), 0);
    return { total, threads: perThread ? threads[0] : undefined };
  };
  let last = { at: t0, machine: machineTicks(), ...sample() };
  const timer = setInterval(() => {
    // a callback late behind a busy turn comes right before the next one: that short step joins the next
    if (Date.now() - last.at < stepMs / 2) return;
    const now = { at: Date.now(), machine: machineTicks(), ...sample() };
    const secs = (now.at - last.at) / 1000;
    const round = (v) => +v.toFixed(2);
    const step = {
      machine: round(((now.machine.busy - last.machine.busy) / Math.max(1, now.machine.all - last.machine.all)) * now.machine.cores),
      system: round(Math.max(0, now.total - last.total) / secs),
    };
    if (now.threads && last.threads) {
      const used = [...now.threads].map(([tid, t]) => [tid, Math.max(0, t - (last.threads.get(tid) ?? t))]);
      step.main = round((used.find(([tid]) => tid === list[0])?.[1] ?? 0) / secs);
      step.busiestOther = round(Math.max(0, ...used.filter(([tid]) => tid !== list[0]).map(([, t]) => t)) / secs);
    }
    steps.push(step);
    last = now;
  }, stepMs);
  return {
    stop: () => {
      clearInterval(timer);
      const col = (k) => (steps.length > 0 && steps[0][k] !== undefined ? steps.map((s) => s[k]) : undefined);
      return { stepMs, machine: col('machine'), system: col('system'), main: col('main'), busiestOther: col('busiestOther') };
    },
  };
}

/**
 * Where a run's time went (--timeline): alerts delivered per 250 ms from the first POST (`startedAt`), and the
 * latency (p50 / p90, ms) of each fifth of the alerts in posting order.
 */
function timelineOf(list, t0) {
  const stepMs = 250;
  const delivered = [];
  for (const [, at] of list) {
    const i = Math.max(0, Math.floor((at - t0) / stepMs));
    while (delivered.length <= i) delivered.push(0);
    delivered[i] += 1;
  }
  const byPost = [...list].sort((a, b) => a[0] - b[0]);
  const fifths = [];
  for (let k = 0; k < 5; k++) {
    const part = byPost.slice(Math.floor((k * byPost.length) / 5), Math.floor(((k + 1) * byPost.length) / 5)).map(([sent, at]) => at - sent).sort((a, b) => a - b);
    if (part.length > 0) fifths.push({ p50: part[Math.floor(part.length / 2)], p90: part[Math.floor(part.length * 0.9)] });
  }
  return { startedAt: new Date(t0).toISOString(), stepMs, delivered, latencyByPostFifthMs: fifths };
}

/** The same workload through Alertmanager (group_by alertname+namespace, group_wait = our batchMaxWait). */
async function alertmanager() {
  const which = spawnSync('sh', ['-c', 'command -v prometheus-alertmanager || command -v alertmanager']);
  const bin = which.stdout?.toString().trim();
  if (!bin) return { skipped: 'Alertmanager not installed (Debian: apt-get install prometheus-alertmanager)' };
  const amDir = mkdtempSync(join(tmpdir(), 'nm-bench-am-'));
  writeFileSync(join(amDir, 'am.yml'), `route:
  receiver: sink
  group_by: [alertname, namespace]
  group_wait: ${WAIT_MS}ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: sink
    webhook_configs:
      - url: ${sinkUrl}/am
        send_resolved: false
`);
  const amPort = await freePort();
  const am = spawn(bin, [`--config.file=${join(amDir, 'am.yml')}`, `--storage.path=${join(amDir, 'data')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=', '--log.level=warn'], { stdio: 'ignore' });
  try {
    await waitFor('alertmanager ready', async () => (await fetch(`http://127.0.0.1:${amPort}/-/ready`).catch(() => undefined))?.ok, 30000);
    if (WARMUP_AM) await warmUp(`http://127.0.0.1:${amPort}/api/v2/alerts`, am.pid);
    const cpu0 = cpuOf(am.pid);
    const result = await drive(`http://127.0.0.1:${amPort}/api/v2/alerts`, am.pid);
    // Measured like ours (/proc, user + system, from the first POST to the last delivery), for the CPU budget.
    return { ...result, cost: { cpuMicrosPerAlert: { alertmanager: Math.round(((cpuOf(am.pid) - cpu0) * 1e6) / ALERTS) } } };
  } finally {
    am.kill('SIGTERM');
    rmSync(amDir, { recursive: true, force: true });
  }
}

let otlp;
const groups = new Set();
for (let j = 0; j < ALERTS; j++) groups.add(`${j % 10}/${j % TENANTS}`);
try {
  const ratio = (r, am) =>
    am.alertsPerSecond
      ? {
          throughput: +(r.alertsPerSecond / am.alertsPerSecond).toFixed(2),
          p99: +(r.latencyMs.p99 / am.latencyMs.p99).toFixed(2),
          acceptRate: +(am.acceptSeconds / r.acceptSeconds).toFixed(2),
          peakRss: +(r.peakRssMiB / am.peakRssMiB).toFixed(2),
          notifications: +(r.notifications / am.notifications).toFixed(2),
          // CPU per alert of every process of ours (services, nats-server, redis-server) over Alertmanager's
          ...(r.cost?.cpuMicrosPerAlert && am.cost?.cpuMicrosPerAlert
            ? { cpuPerAlert: +(cpuTotal(r) / am.cost.cpuMicrosPerAlert.alertmanager).toFixed(2) }
            : {}),
        }
      : undefined;
  /** One round: every mode, then Alertmanager, on the same workload; ratios within the round. */
  const round = async () => {
    const runs = {};
    for (const mode of MODES) {
      SPLIT = mode === 'split';
      runs[mode] = await runNm();
    }
    const am = process.argv.includes('--no-alertmanager') ? { skipped: '--no-alertmanager' } : await alertmanager();
    return { runs, am, ratios: Object.fromEntries(Object.entries(runs).map(([m, r]) => [m, ratio(r, am)])) };
  };
  const rounds = [];
  for (let i = 0; i < REPEAT; i++) rounds.push(await round());
  const { runs, am } = rounds[0];
  const nm = runs[MODES[0]];
  let tracing;
  if (TRACING) {
    SPLIT = MODES[0] === 'split'; // tracing on, in the first mode (its figures are `nm`)
    otlp = await startOtlpReceiver();
    const on = await runNm({
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'always_on',
    });
    await new Promise((r) => setTimeout(r, 1000)); // the last batch of spans
    tracing = {
      off: { alertsPerSecond: nm.alertsPerSecond, latencyMs: nm.latencyMs, peakRssMiB: nm.peakRssMiB },
      on: { alertsPerSecond: on.alertsPerSecond, latencyMs: on.latencyMs, peakRssMiB: on.peakRssMiB, spansExported: otlp.spans.length },
      throughputOnOverOff: +(on.alertsPerSecond / nm.alertsPerSecond).toFixed(2),
      note: 'tracing on: 100% sampling, OTLP/HTTP JSON to a receiver in this script; the machine may be shared and noisy',
    };
  }
  // With --repeat: each ratio's median and range over the rounds (each round's own Alertmanager run).
  const spread = (values) => {
    const v = values.filter((x) => typeof x === 'number').sort((a, b) => a - b);
    return v.length ? { median: v[Math.floor((v.length - 1) / 2)], min: v[0], max: v[v.length - 1] } : undefined;
  };
  const summary =
    REPEAT > 1
      ? Object.fromEntries(
          MODES.map((m) => [
            m,
            Object.fromEntries(['throughput', 'p99', 'acceptRate', 'peakRss', 'notifications', 'cpuPerAlert'].map((k) => [k, spread(rounds.map((r) => r.ratios[m]?.[k]))])),
          ]),
        )
      : undefined;
  const result = {
    machine: { cpus: (await import('node:os')).availableParallelism(), node: process.version },
    workload: {
      alerts: ALERTS,
      tenants: TENANTS,
      postBatch: BATCH,
      inFlight: INFLIGHT,
      groups: groups.size,
      waitMs: WAIT_MS,
      warmupAlerts: { ours: WARMUP, alertmanager: WARMUP_AM ? WARMUP : 0 },
      note: `our batchMaxWait (stateful: groupWait) = Alertmanager's group_wait = ${WAIT_MS} ms; group_interval 1s; latency counts an alert's first arrival`,
      nodeArgs: [...chartNodeArgs, ...nodeArgs],
    },
    notificationManager: runs,
    ...(tracing ? { tracing } : {}),
    alertmanager: am,
    ratioToAlertmanager: rounds[0].ratios,
    ...(REPEAT > 1 ? { rounds: rounds.map((r) => ({ notificationManager: r.runs, alertmanager: r.am, ratioToAlertmanager: r.ratios })), ratioSummary: summary } : {}),
  };
  console.log(JSON.stringify(result, null, 2));
  // CPU per alert of every process of the run (ours: the services, nats-server and redis-server; Alertmanager's own);
  // `bench µs`: this script's own CPU per alert (the driver and the sink, on the same machine); `busy`: the
  // machine's cores busy on average through the run, every process (near the core count: bound by CPU).
  const cpuSum = (r) => (r.cost?.cpuMicrosPerAlert ? String(cpuTotal(r)) : '');
  const row = (name, r) =>
    r.alertsPerSecond
      ? `${name.padEnd(26)} ${String(r.alertsPerSecond).padStart(8)} ${`${r.latencyMs.p50}/${r.latencyMs.p99}`.padStart(13)} ${String(r.notifications).padStart(8)} ${r.acceptSeconds.toFixed(1).padStart(7)} ${String(r.peakRssMiB).padStart(7)} ${cpuSum(r).padStart(9)} ${String(r.driverCpuMicrosPerAlert).padStart(8)} ${r.machineBusyCores.toFixed(2).padStart(6)}`
      : `${name.padEnd(26)} ${r.skipped ?? ''}`;
  console.log(
    `\nwarm-up before each measured run: ${WARMUP > 0 ? `${WARMUP} alerts through our services` : 'none (cold)'}; Alertmanager ${WARMUP_AM && WARMUP > 0 ? `the same` : 'cold'}`,
  );
  console.log(`${'run'.padEnd(26)} ${'alerts/s'.padStart(8)} ${'p50/p99 ms'.padStart(13)} ${'notifs'.padStart(8)} ${'accept'.padStart(7)} ${'RSS MiB'.padStart(7)} ${'CPU µs/al'.padStart(9)} ${'bench µs'.padStart(8)} ${'busy'.padStart(6)}`);
  rounds.forEach((rd, i) => {
    const tag = REPEAT > 1 ? ` #${i + 1}` : '';
    for (const [m, r] of Object.entries(rd.runs)) console.log(row(modeName(m) + tag, r));
    console.log(row('Alertmanager' + tag, rd.am));
  });
  // One process per service shares this machine's cores among all its processes; a deployment with a
  // pod per stage gives each its own. What each process spent per alert here says what that gets:
  // the busiest process, on a core of its own, bounds the pipeline (nats-server and Redis included).
  rounds.forEach((rd, i) => {
    const c = rd.runs.split?.cost?.cpuMicrosPerAlert;
    if (!c) return;
    const busy = Object.entries(c).filter(([, us]) => us > 0);
    if (busy.length === 0) return;
    const [name, us] = busy.reduce((a, b) => (b[1] > a[1] ? b : a));
    console.log(
      `${modeName('split')}${REPEAT > 1 ? ` #${i + 1}` : ''} by process, µs of CPU per alert: ${busy.map(([p, v]) => `${p} ${v}`).join(', ')}; with a core per process, at these costs, ${name} would bound it at ${Math.round(1e6 / us)} alerts/s`,
    );
  });
  rounds.forEach((rd, i) => {
    const t = rd.runs.single?.cost?.standaloneThreadsMicrosPerAlert;
    if (t)
      console.log(
        `${modeName('single')}${REPEAT > 1 ? ` #${i + 1}` : ''} by thread, µs of CPU per alert: main ${t.main}, stage worker(s) ${t.stageWorkers}, other threads (V8's garbage collection and compilation helpers, libuv's pool) ${t.helpers}`,
      );
  });
  if (TIMELINE) {
    console.log('\ntimeline: alerts delivered per 250 ms from the first POST; latency p50/p90 ms of each fifth of the alerts by posting order');
    rounds.forEach((rd, i) => {
      const tag = REPEAT > 1 ? ` #${i + 1}` : '';
      const named = [...Object.entries(rd.runs).map(([m, r]) => [modeName(m) + tag, r]), ['Alertmanager' + tag, rd.am]];
      for (const [name, r] of named) {
        if (!r.timeline) continue;
        console.log(`${name.padEnd(26)} ${r.timeline.delivered.join(' ')}`);
        console.log(`${''.padEnd(26)} latency by posting fifth: ${r.timeline.latencyByPostFifthMs.map((f) => `${f.p50}/${f.p90}`).join('  ')}`);
        const c = r.timeline.cores;
        if (c?.machine) console.log(`${''.padEnd(26)} cores busy, machine:  ${c.machine.map((v) => v.toFixed(1)).join(' ')}`);
        if (c?.system) console.log(`${''.padEnd(26)} cores busy, system:   ${c.system.map((v) => v.toFixed(1)).join(' ')}`);
        if (c?.main) console.log(`${''.padEnd(26)} main thread:          ${c.main.map((v) => v.toFixed(1)).join(' ')}`);
        if (c?.busiestOther) console.log(`${''.padEnd(26)} busiest other thread: ${c.busiestOther.map((v) => v.toFixed(1)).join(' ')}`);
      }
    });
  }
  if (summary)
    for (const [m, s] of Object.entries(summary))
      if (s.throughput) console.log(`${modeName(m)} × Alertmanager over ${REPEAT} rounds: alerts/s ${s.throughput.median} (${s.throughput.min}–${s.throughput.max}), p99 ${s.p99.median} (${s.p99.min}–${s.p99.max}), accept rate ${s.acceptRate.median}, peak RSS ${s.peakRss.median}${s.cpuPerAlert ? `, CPU per alert ${s.cpuPerAlert.median} (${s.cpuPerAlert.min}–${s.cpuPerAlert.max})` : ''}`);
  if (OUT) writeFileSync(OUT, JSON.stringify(result, null, 2));
} finally {
  await stopNm();
  await otlp?.close();
  sink.close();
  rmSync(dir, { recursive: true, force: true });
}
