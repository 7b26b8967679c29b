/**
 * The single process hands decoded payloads from stage to stage on one thread
 * (`NM_STANDALONE_HANDOFF`). In `verify` mode every handed-off payload is frozen (a stage that
 * changes what it published, or what it was handed, throws) and every delivery is decoded from
 * its bytes anyway and compared: this runs the real stages (inhibition, a silence, a global and a
 * tenant receiver sharing alerts, batch and stateful aggregation, the webhook sender and its
 * history) through it, on a worker thread and on the main thread, and counts what arrives.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { subjects } from '@nm/contracts';
import { freePort, startNats, startRedis, startWebhookSink, waitFor, type PrivateNats, type PrivateRedis, type WebhookSink } from '@nm/testing';
import { parseStandaloneEnv, placementFor, startStandalone } from '@nm/standalone';
import { docs, globalSilence, inhibitRule, notificationManager, webhookReceiver, type AggregationSpec } from './support/manifests.js';
import { metricSum, metricValue } from './support/metrics.js';
import type { WebhookNotification } from './support/stack.js';

describe('the single process hands payloads between its stages (NM_STANDALONE_HANDOFF=verify, NM_STANDALONE_INLINE)', () => {
  let nats: PrivateNats;
  let redis: PrivateRedis;
  let sink: WebhookSink;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    [nats, redis, sink] = await Promise.all([startNats(), startRedis(), startWebhookSink()]);
  });
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  afterAll(async () => {
    await sink?.close();
    await redis?.stop();
    await nats?.stop();
  });

  const stateful: AggregationSpec = { mode: 'stateful', groupWait: '300ms', groupInterval: '1s', repeatInterval: '1h', sendResolved: true };
  // inline: silencer → router → aggregator called directly (NM_STANDALONE_INLINE, the default), or every hop durable
  const cases: Array<{ workers: number; aggregation: AggregationSpec; inline: 'on' | 'off' }> = [
    { workers: 1, aggregation: { mode: 'batch' }, inline: 'off' },
    { workers: 0, aggregation: { mode: 'batch' }, inline: 'off' },
    { workers: 1, aggregation: stateful, inline: 'off' },
    { workers: 0, aggregation: stateful, inline: 'off' },
    { workers: 1, aggregation: { mode: 'batch' }, inline: 'on' },
    { workers: 0, aggregation: { mode: 'batch' }, inline: 'on' },
    { workers: 1, aggregation: stateful, inline: 'on' },
  ];

  it.each(cases)('with $workers worker(s), $aggregation.mode aggregation, inline hops $inline: every admitted alert arrives, muted ones do not, and no handed-off payload differed from its bytes or was changed', async ({ workers, aggregation, inline }) => {
    const tag = `w${workers}${aggregation.mode}${inline}`;
    const configDir = mkdtempSync(join(tmpdir(), 'nm-handoff-'));
    cleanups.push(() => rmSync(configDir, { recursive: true, force: true }));
    writeFileSync(join(configDir, 'nm.yaml'), notificationManager({ batchMaxWait: '300ms', groupLabels: ['alertname', 'node'], aggregation }));
    writeFileSync(
      join(configDir, 'receivers.yaml'),
      // receivers of their own per case: a stateful group of an earlier case (same receiver and group labels) keeps its timing
      docs(webhookReceiver(`ops-${tag}`, `${sink.url}/${tag}/ops`, { type: 'global' }), webhookReceiver(`apps-${tag}`, `${sink.url}/${tag}/apps`, { type: 'tenant', namespace: 'apps' })),
    );
    writeFileSync(
      join(configDir, 'muting.yaml'),
      docs(
        inhibitRule('node-down-mutes-pods', { type: 'global' }, {
          sourceSelector: { matchLabels: { alertname: 'NodeDown' } },
          targetSelector: { matchLabels: { alertname: 'PodNotReady' } },
          equal: ['node'],
        }),
        globalSilence('quiet', { alertname: 'Quiet' }),
      ),
    );
    const ingestPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      NM_SECRET_KEY: 'standalone-handoff-test-key-0123456789',
      NM_CONFIG_DIR: configDir,
      NM_CONFIG_POLL_MS: '200',
      NM_INGEST_PORT: String(ingestPort),
      NM_INGEST_HOST: '127.0.0.1',
      NM_STANDALONE_WORKERS: String(workers),
      NM_STANDALONE_HANDOFF: 'verify',
      NM_STANDALONE_INLINE: inline,
      NM_AGGREGATOR_TICK_MS: '100',
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    };
    const died: Error[] = [];
    const app = await startStandalone(parseStandaloneEnv(env), { source: env, onWorkerDeath: (err) => died.push(err) });
    cleanups.push(() => app.stop());
    await waitFor('ready', async () => (await fetch(`http://127.0.0.1:${ingestPort}/-/ready`)).status === 200, 60_000);
    // every case posts its own alerts (the same bodies again would be dropped as repeats)
    const post = async (alerts: Array<{ labels: Record<string, string>; [field: string]: unknown }>): Promise<void> => {
      const body = JSON.stringify(alerts.map((a) => ({ ...a, labels: { ...a.labels, run: tag } })));
      const r = await fetch(`http://127.0.0.1:${ingestPort}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(r.status).toBe(200);
    };

    // NodeDown on n1 first (it mutes PodNotReady on n1 once the silencer has seen it fire)
    await post([{ labels: { alertname: 'NodeDown', node: 'n1', namespace: 'infra' }, annotations: { message: 'n1 down' } }]);
    await waitFor('NodeDown delivered', () => sink.accepted(`/${tag}/ops`).length > 0, 30_000);
    const pods = Array.from({ length: 120 }, (_, i) => ({
      labels: { alertname: i % 3 === 0 ? 'PodCrash' : 'PodNotReady', node: i % 2 === 0 ? 'n1' : 'n2', namespace: 'apps', pod: `p${i}` },
      annotations: { message: `pod ${i}` },
    }));
    const quiet = Array.from({ length: 10 }, (_, i) => ({ labels: { alertname: 'Quiet', node: 'n2', namespace: 'apps', pod: `q${i}` }, annotations: {} }));
    // several messages at once, some with muted alerts in them and some without
    await Promise.all([post(pods.slice(0, 40)), post(pods.slice(40, 80)), post([...pods.slice(80), ...quiet])]);
    const expected = pods.filter((p) => !(p.labels.alertname === 'PodNotReady' && p.labels.node === 'n1')).map((p) => p.labels.pod);
    const delivered = (path: string): Set<string> =>
      new Set(
        sink
          .accepted(`/${tag}/${path}`)
          .flatMap((r) => (r.body as WebhookNotification).alerts.filter((a) => a.status === 'firing').map((a) => a.labels.pod ?? a.labels.alertname ?? '')),
      );
    await waitFor('every admitted pod alert at both receivers', () => ['ops', 'apps'].every((p) => expected.every((pod) => delivered(p).has(pod))), 30_000);
    // resolved: the stateful aggregator notifies them (sendResolved), batch passes them on
    await post(pods.slice(0, 6).map((p) => ({ ...p, endsAt: new Date(Date.now() - 1000).toISOString() })));
    const resolvedAt = (path: string): Set<string> =>
      new Set(
        sink
          .accepted(`/${tag}/${path}`)
          .flatMap((r) => (r.body as WebhookNotification).alerts.filter((a) => a.status === 'resolved').map((a) => a.labels.pod ?? '')),
      );
    const resolvedExpected = pods.slice(0, 6).filter((p) => expected.includes(p.labels.pod)).map((p) => p.labels.pod);
    await waitFor('the resolved ones', () => resolvedExpected.every((pod) => resolvedAt('apps').has(pod)), 30_000);

    for (const path of ['ops', 'apps']) {
      const got = delivered(path);
      expect([...got].filter((k) => k.startsWith('q'))).toEqual([]); // silenced
      expect(pods.filter((p) => p.labels.alertname === 'PodNotReady' && p.labels.node === 'n1' && got.has(p.labels.pod))).toEqual([]); // inhibited
    }
    // the hand-off carried what it should, and nothing it handed differed from its bytes. What goes through it on a
    // thread: the admitted and routed messages where those hops are durable (inline off), the history
    // records where their consumer shares the senders' thread (no worker), and the stateful
    // aggregator's notifications where the senders share its thread (with one worker they run on the
    // main thread; batch notifications are published from their alerts' JSON: the sender decodes their bytes)
    const placement = placementFor(workers);
    const threadOf = (stage: string): number => (placement.main.includes(stage) ? -1 : placement.workers.findIndex((g) => g.includes(stage)));
    const sendersWithAggregator = threadOf('aggregator') === threadOf('sender-webhook');
    const least = (inline === 'off' ? 10 : 0) + (workers === 0 ? 3 : 0) + (aggregation.mode === 'stateful' && sendersWithAggregator ? 3 : 0);
    await waitFor('what went through the hand-off counted', async () => (await metricValue(ingestPort, 'nm_bus_handoff_total', { outcome: 'taken' })) >= least, 10_000);
    // one worker, inline hops: nothing is handed over (the chain runs inline, the senders are on another thread)
    if (least === 0) expect(await metricValue(ingestPort, 'nm_bus_handoff_total', { outcome: 'offered' })).toBe(0);
    expect(await metricValue(ingestPort, 'nm_bus_handoff_total', { outcome: 'mismatched' })).toBe(0);
    // no stage tripped over a frozen payload: every message of every consumer was acked the first time
    expect(await metricSum(ingestPort, 'nm_bus_messages_total', (l) => l.outcome !== 'ack')).toBe(0);
    expect(await metricSum(ingestPort, 'nm_bus_messages_total', (l) => l.outcome === 'ack')).toBeGreaterThan(10);
    // inline: the router and the aggregator ran from the silencer's handler, never from their streams;
    // off: every ingested message went through both streams and nothing ran inline
    const consumed = async (consumer: string): Promise<number> => metricSum(ingestPort, 'nm_bus_messages_total', (l) => l.consumer === consumer);
    const ingested = await consumed('silencer');
    expect(ingested).toBeGreaterThanOrEqual(5);
    if (inline === 'on') {
      expect([await consumed('router'), await consumed('aggregator')]).toEqual([0, 0]);
      expect(await metricValue(ingestPort, 'nm_bus_inline_total', { subject: subjects.alertsAdmitted, outcome: 'ok' })).toBeGreaterThanOrEqual(5);
      expect(await metricValue(ingestPort, 'nm_bus_inline_total', { subject: subjects.alertsRouted, outcome: 'ok' })).toBeGreaterThanOrEqual(5);
      expect(await metricSum(ingestPort, 'nm_bus_inline_total', (l) => l.outcome === 'failed')).toBe(0);
    } else {
      expect(await consumed('router')).toBeGreaterThanOrEqual(5);
      expect(await consumed('aggregator')).toBeGreaterThanOrEqual(5);
      expect(await metricSum(ingestPort, 'nm_bus_inline_total', () => true)).toBe(0);
    }
    expect(died).toEqual([]);
  });
});
