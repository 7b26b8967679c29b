#!/usr/bin/env node
// Costs of single pieces of the pipeline, each measured alone (no other stage competing for the
// machine), to tell fixed costs from per-alert and per-byte ones. Prints figures; writes nothing.
// Everything runs on loopback against a private nats-server and redis-server.
//
//   node scripts/bench-stages.mjs [--only hop,consume,sender,aggregator] [--notifications N] [--alerts 1,50] [--rounds 3]
//
// hop:        one JetStream hop as the stages make it (publish with ack, file storage, pull
//             consume, explicit ack) for a routed-size message and a fifth of it: nats-server's and
//             the client's CPU per message, so per alert and per byte.
// consume:    the consume loop of every stage (`startConsumer` of @nm/bus) with a handler that does
//             nothing, over notifications already in the stream: what a message costs before any
//             stage's work (pulls, decoding, the quick check, metrics, the ack).
// sender:     one sender-webhook process (as deployed: the chart's nodeArgs) delivering N
//             notifications of A alerts each to a local sink, twice per A: its CPU per notification,
//             so the fixed cost of a notification and the cost of each alert in it.
// aggregator: the batch aggregator's handler in this process, without bus or Redis (a publisher
//             that only counts, the in-memory published log): CPU per alert of grouping 100k alerts
//             routed to 1,000 receivers in messages of 200, as the benchmark's workload; --rounds
//             rounds of it (default 3).
// Node compiles its hot paths during the first seconds under load: every piece runs rounds and
// prints each, the first ones warming up.
// Run `npm run build` first.
import { execSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, p);
const { startNats, startRedis, freePort, waitFor } = await import(dist('packages/testing/dist/index.js'));
const { connectBus, createPublisher, provision, startConsumer } = await import(dist('packages/bus/dist/index.js'));
const { allConsumers, allStreams, subjects, senderConsumer, NotificationSchema, payloadShapes } = await import(dist('packages/contracts/dist/index.js'));
const { createLogger, Metrics } = await import(dist('packages/telemetry/dist/index.js'));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const ONLY = arg('only', 'hop,consume,sender,aggregator').split(',');
const NOTIFICATIONS = Number(arg('notifications', 2000));
const ALERT_COUNTS = arg('alerts', '1,50').split(',').map(Number);
const AGGREGATOR_ROUNDS = Number(arg('rounds', 3));
const logger = createLogger('bench-stages', 'silent');

/** User + system CPU of a process so far, in ms (/proc). */
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const now = new Date().toISOString();
let serial = 0;
/** An alert as ingest makes it from the benchmark's POSTs (tenant t). */
function alert(t) {
  serial += 1;
  return {
    id: (Math.imul(serial, 2654435761) >>> 0).toString(16).padStart(16, '0'),
    status: 'firing',
    labels: { alertname: `A${t % 10}`, namespace: `ns-${t}`, pod: `p${serial}`, cluster: 'default' },
    annotations: { sentAt: String(Date.now()) },
    startsAt: now,
    endsAt: '0001-01-01T00:00:00Z',
    fingerprint: (Math.imul(serial, 40503) >>> 0).toString(16).padStart(16, '0'),
    receivedAt: now,
  };
}

/** A routed message of `size` alerts, tenant by tenant from `first` (one receiver each). */
function routed(first, size, tenants) {
  const receivers = [];
  const routes = [];
  for (let i = 0; i < size; i++) {
    const t = (first + i) % tenants;
    receivers.push({ name: `r${t}`, channel: 'webhook', tenant: `ns-${t}` });
    routes.push({ alert: alert(t), receivers: [i] });
  }
  return { version: 1, batchId: `b${first}`, chunk: { index: 0, count: 1 }, source: 'alerts-array', receivedAt: now, receivers, routes };
}

/** A notification of `size` alerts for tenant t's receiver. */
function notification(id, t, size) {
  return {
    version: 1,
    id,
    createdAt: new Date().toISOString(),
    receiver: { name: `r${t}`, channel: 'webhook', tenant: `ns-${t}` },
    groupKey: `webhook/r${t}:{alertname="A${t % 10}", namespace="ns-${t}"}`,
    groupLabels: { alertname: `A${t % 10}`, namespace: `ns-${t}` },
    alerts: Array.from({ length: size }, () => alert(t)),
    part: { index: 0, count: 1 },
    source: 'alerts-array',
  };
}

/** Publishes `count` notifications of `size` alerts, 32 at a time, each acknowledged. */
async function publishNotifications(publisher, count, size, prefix) {
  let inflight = [];
  for (let i = 0; i < count; i++) {
    const n = notification(`${prefix}-${i}`, i % 1000, size);
    inflight.push(publisher.publish(subjects.notify('webhook'), n, { msgId: n.id }));
    if (inflight.length >= 32) {
      await Promise.all(inflight);
      inflight = [];
    }
  }
  await Promise.all(inflight);
}

async function consume() {
  const nats = await startNats();
  const bus = await connectBus({ url: nats.url, name: 'bench-consume', logger });
  await provision(bus.jsm, { streams: allStreams, consumers: allConsumers });
  const publisher = createPublisher(bus);
  const definition = senderConsumer('webhook');
  const rows = [];
  // a round of 200, then four of N, each printed (the first ones warm the JIT up); each publishes
  // first, then consumes
  for (const [round, count] of [[0, 200], [1, NOTIFICATIONS], [2, NOTIFICATIONS], [3, NOTIFICATIONS], [4, NOTIFICATIONS]]) {
    await publishNotifications(publisher, count, 1, `consume-${round}`);
    let handled = 0;
    const cpu0 = process.cpuUsage();
    const handle = await startConsumer(bus, publisher, logger, new Metrics('bench'), {
      consumer: definition,
      schema: NotificationSchema,
      quickCheck: payloadShapes.notification,
      handler: () => {
        handled += 1;
        return Promise.resolve();
      },
      dlqStage: 'sender-webhook',
    });
    await waitFor('all handled', () => handled >= count, 120000, 5);
    await waitFor('all acked', async () => {
      const info = await bus.jsm.consumers.info(definition.stream, definition.durable);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, 120000, 20);
    const c = process.cpuUsage(cpu0);
    await handle.stop();
    if (round > 0) rows.push({ count, us: (c.user + c.system) / count });
  }
  await bus.close();
  await nats.stop();
  console.log('\nconsume: the consume loop with a handler that does nothing, over notifications of one alert published before it starts');
  for (const r of rows) console.log(`${r.count} messages: ${r.us.toFixed(0)} µs of CPU per message`);
}

async function hop() {
  const nats = await startNats();
  const pid = Number(execSync(`pgrep -f "nats-server.*-p ${nats.port}"`).toString().trim().split('\n')[0]);
  const bus = await connectBus({ url: nats.url, name: 'bench-hop', logger });
  const full = Buffer.from(JSON.stringify(routed(0, 200, 1000)));
  const rows = [];
  const MESSAGES = 500;
  for (const [label, bytes] of [['routed message (200 alerts)', full.length], ['a fifth of it', Math.round(full.length / 5)]].flatMap((r) => [r, r, r])) {
    const name = `HOP${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    await bus.jsm.streams.add({ name, subjects: [`${name}.>`], retention: 'workqueue', storage: 'file' });
    await bus.jsm.consumers.add(name, { durable_name: 'c', ack_policy: 'explicit' });
    const data = full.subarray(0, bytes);
    const server0 = cpuMs(pid);
    const client0 = process.cpuUsage();
    let inflight = [];
    for (let i = 0; i < MESSAGES; i++) {
      inflight.push(bus.js.publish(`${name}.x`, data));
      if (inflight.length >= 16) {
        await Promise.all(inflight);
        inflight = [];
      }
    }
    await Promise.all(inflight);
    const consumer = await bus.js.consumers.get(name, 'c');
    const messages = await consumer.consume({ max_messages: 32 });
    let got = 0;
    for await (const m of messages) {
      m.ack();
      if (++got === MESSAGES) break;
    }
    await bus.nc.flush();
    const client = process.cpuUsage(client0);
    const serverUs = ((cpuMs(pid) - server0) * 1000) / MESSAGES;
    const clientUs = (client.user + client.system) / MESSAGES;
    rows.push({ label, bytes, serverUs, clientUs });
    await bus.jsm.streams.delete(name);
  }
  await bus.close();
  await nats.stop();
  console.log('\nhop: publish (acked) + file storage + pull consume + ack, 500 messages each, three runs per size (the first ones warm the client up)');
  console.log('message                          bytes   nats-server µs/msg   client µs/msg   (both) ÷ 200 alerts');
  for (const r of rows)
    console.log(
      `${r.label.padEnd(30)} ${String(r.bytes).padStart(7)}   ${r.serverUs.toFixed(0).padStart(18)}   ${r.clientUs.toFixed(0).padStart(13)}   ${((r.serverUs + r.clientUs) / 200).toFixed(1).padStart(8)}`,
    );
}

async function sender() {
  const SECRET = 'bench-stages-secret-key-0123456789';
  const TENANTS = 1000;
  const [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
  const { Redis } = await import('ioredis');
  const { ConfigStoreWriter, SecretBox } = await import(dist('packages/config-store/dist/index.js'));
  // the sink is a child process that only counts requests: its CPU is neither the sender's nor this process's
  const sinkPort = await freePort();
  const counter = fork(fileURLToPath(import.meta.url), ['--sink', String(sinkPort)], { stdio: 'ignore' });
  await new Promise((r) => counter.once('message', r));
  const delivered = () =>
    new Promise((r) => {
      counter.once('message', (m) => r(m.count));
      counter.send('count');
    });
  const redis = new Redis(redisServer.url);
  await new ConfigStoreWriter(redis, new SecretBox(SECRET)).replaceAll({
    objects: Array.from({ length: TENANTS }, (_, t) => ({
      kind: 'Receiver',
      name: `r${t}`,
      body: {
        apiVersion: 'notification.kubesphere.io/v2beta2',
        kind: 'Receiver',
        metadata: { name: `r${t}`, labels: { type: 'tenant', namespace: `ns-${t}` } },
        spec: { webhook: { url: `http://127.0.0.1:${sinkPort}/hook` } },
      },
    })),
    secrets: [],
    problems: [],
  });
  const bus = await connectBus({ url: nats.url, name: 'bench-sender', logger });
  await provision(bus.jsm, { streams: allStreams, consumers: allConsumers });
  const publisher = createPublisher(bus);
  const health = await freePort();
  const chartNodeArgs = parseYaml(readFileSync(join(root, 'charts/notification-manager/values.yaml'), 'utf8'))?.nodeArgs ?? [];
  // BENCH_NODE_ARGS after the chart's, as `npm run bench` passes them (e.g. --cpu-prof --cpu-prof-dir=/tmp/p)
  const extraArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const svc = spawn(process.execPath, [...chartNodeArgs, ...extraArgs, join(root, 'apps/sender-webhook/dist/main.js')], {
    env: { PATH: process.env.PATH, NATS_URL: nats.url, REDIS_URL: redisServer.url, NM_SECRET_KEY: SECRET, LOG_LEVEL: 'warn', NM_HEALTH_PORT: String(health), NM_HEALTH_HOST: '127.0.0.1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitFor('sender ready', async () => (await fetch(`http://127.0.0.1:${health}/-/ready`).catch(() => undefined))?.ok, 60000);
  const rows = [];
  let sent = 0;
  // Every size runs twice: the first round warms the sender up (V8 compiles its hot paths over the
  // first thousands of notifications: its CPU per notification halves from a cold start), the
  // second is the figure. Both are printed.
  for (const size of ALERT_COUNTS)
    for (const warm of [false, true]) {
      const cpu0 = cpuMs(svc.pid);
      const t0 = Date.now();
      await publishNotifications(publisher, NOTIFICATIONS, size, `bench-${sent}-${size}-${t0}`);
      sent += NOTIFICATIONS;
      await waitFor('all delivered', async () => (await delivered()) >= sent, 300000, 100);
      const ms = cpuMs(svc.pid) - cpu0;
      rows.push({ size, warm, perNotification: (ms * 1000) / NOTIFICATIONS, seconds: (Date.now() - t0) / 1000 });
    }
  svc.kill('SIGTERM');
  await new Promise((r) => svc.once('exit', r));
  counter.kill();
  redis.disconnect();
  await bus.close();
  await Promise.all([nats.stop(), redisServer.stop()]);
  console.log(`\nsender: one sender-webhook process (node ${chartNodeArgs.join(' ')}), ${NOTIFICATIONS} notifications per size, published while it runs`);
  console.log('alerts per notification   round      CPU µs per notification   per alert   wall s');
  for (const r of rows)
    console.log(
      `${String(r.size).padStart(23)}   ${(r.warm ? 'measured' : 'warm-up').padEnd(8)}   ${r.perNotification.toFixed(0).padStart(23)}   ${(r.perNotification / r.size).toFixed(1).padStart(9)}   ${r.seconds.toFixed(1).padStart(6)}`,
    );
  const measured = rows.filter((r) => r.warm);
  if (measured.length >= 2) {
    const [a, b] = [measured[0], measured[measured.length - 1]];
    const perAlert = (b.perNotification - a.perNotification) / (b.size - a.size);
    console.log(`fixed cost of a notification ≈ ${(a.perNotification - perAlert * a.size).toFixed(0)} µs, each alert in it ≈ ${perAlert.toFixed(1)} µs`);
  }
}

async function aggregator() {
  const { BatchAggregator } = await import(dist('apps/aggregator/dist/batch.aggregator.js'));
  const { memoryPublishedLog } = await import(dist('apps/aggregator/dist/published.log.js'));
  const ALERTS = 100_000;
  const SIZE = 200;
  const TENANTS = 1000;
  let notifications = 0;
  const publisher = {
    publish: () => {
      notifications += 1;
      return Promise.resolve({ seq: notifications, duplicate: false });
    },
  };
  const settings = { groupLabels: ['alertname', 'namespace'], batchMaxSize: 1000, batchMaxWaitMs: 100 };
  const results = [];
  for (let round = 0; round < AGGREGATOR_ROUNDS; round++) {
    const agg = new BatchAggregator({ publisher, settings: () => settings, logger, metrics: new Metrics('bench'), publishedLog: memoryPublishedLog() });
    // the messages as the router publishes them: decoded in the measured loop, as the consume loop does
    const texts = [];
    for (let first = 0; first < ALERTS; first += SIZE) texts.push(Buffer.from(JSON.stringify(routed(first, SIZE, TENANTS))));
    const before = notifications;
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    const pending = [];
    for (let k = 0; k < texts.length; k++) {
      const ctx = { logger, msgId: `m${round}-${k}`, deliveryCount: 1, subject: subjects.alertsRouted };
      pending.push(agg.handle(JSON.parse(new TextDecoder().decode(texts[k])), ctx));
      if (k % 16 === 15) await new Promise((r) => setImmediate(r)); // 16 in flight, as the consumer's concurrency
    }
    await agg.flushAll();
    await Promise.all(pending);
    const c = process.cpuUsage(cpu0);
    results.push({ us: (c.user + c.system) / ALERTS, ms: Date.now() - t0, notifications: notifications - before });
  }
  console.log(`\naggregator: the batch aggregator's handler alone (decode included; no bus, no Redis), ${ALERTS} alerts to ${TENANTS} receivers in messages of ${SIZE}`);
  for (const [i, r] of results.entries()) console.log(`round ${i + 1}: ${r.us.toFixed(1)} µs CPU per alert, ${r.notifications} notifications, ${r.ms} ms`);
}

// --sink PORT: the request counter of the sender benchmark (a child process)
const sinkArg = process.argv.indexOf('--sink');
if (sinkArg > 0) {
  const { createServer } = await import('node:http');
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count += 1;
      res.end('{}');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(process.argv[sinkArg + 1]), '127.0.0.1', () => process.send('ready'));
  process.on('message', () => process.send({ count }));
} else {
  console.log(`bench-stages on ${(await import('node:os')).cpus()[0]?.model ?? 'unknown CPU'} × ${(await import('node:os')).availableParallelism()}`);
  if (ONLY.includes('hop')) await hop();
  if (ONLY.includes('consume')) await consume();
  if (ONLY.includes('sender')) await sender();
  if (ONLY.includes('aggregator')) await aggregator();
  process.exit(0);
}
