import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigStoreWriter, SecretBox } from '@nm/config-store';
import { IngestedBatchSchema, streams, type Alert } from '@nm/contracts';
import { createRuntime, type Runtime } from '@nm/service-kit';
import { createLogger } from '@nm/telemetry';
import { startFakeKube, startNats, startRedis, waitFor, writeKubeconfig, type FakeKube, type KubeObject, type PrivateNats, type PrivateRedis } from '@nm/testing';
import { startEventExporter, type EventExporterHandle, type EventExporterServiceOptions } from './service.js';

/**
 * The event exporter as it runs (a real runtime, private nats-server and redis-server) against the
 * fake Kubernetes API server: what it publishes to NM_INGESTED is read back by sequence.
 */
const API = 'notification.kubesphere.io/v2beta2';
const NS = 'nm-system';
const SECRET = 'event-exporter-test-key';
const INGESTED = streams.ingested.name;
const logger = createLogger('event-exporter-test', process.env['TEST_LOG_LEVEL'] ?? 'silent');

let seq = 0;
/** A core/v1 Event about a Pod (or `kind`), happening now. */
function kubeEvent(opts: { name?: string; namespace?: string; type?: string; reason?: string; count?: number; kind?: string; object?: string; at?: Date; message?: string }): KubeObject {
  const at = (opts.at ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const object = opts.object ?? 'web-0';
  const namespace = opts.namespace ?? 'team-a';
  const kind = opts.kind ?? 'Pod';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: opts.name ?? `${object}.${(seq += 1)}`, namespace: kind === 'Node' ? 'default' : namespace },
    involvedObject: { kind, name: object, apiVersion: 'v1', ...(kind === 'Node' ? {} : { namespace }) },
    reason: opts.reason ?? 'BackOff',
    message: opts.message ?? `Back-off restarting failed container in ${object}`,
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: at,
    lastTimestamp: at,
    count: opts.count ?? 1,
    type: opts.type ?? 'Warning',
  };
}

const eventRule = (name: string, spec: Record<string, unknown>) => ({ kind: 'EventRule' as const, name, body: { apiVersion: API, kind: 'EventRule', metadata: { name }, spec } });

describe('event exporter against the fake API server, nats-server and redis-server', () => {
  // Tests of leader hand-over chain several bounded waits (each up to 20 s on a loaded machine).
  jest.setTimeout(90_000);
  let nats: PrivateNats;
  let redis: PrivateRedis;
  let kube: FakeKube;
  let dir: string;
  const runtimes: Runtime[] = [];
  const exporters: EventExporterHandle[] = [];

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
  });
  afterAll(async () => {
    await nats?.stop();
    await redis?.stop();
  });
  beforeEach(async () => {
    kube = await startFakeKube();
    dir = mkdtempSync(join(tmpdir(), 'nm-event-exporter-'));
    const rt = runtime();
    const bus = await rt.connected;
    await bus.jsm.streams.purge(INGESTED);
    await rt.redis.flushall();
    await writeRules([]);
  });
  afterEach(async () => {
    for (const e of exporters.splice(0)) await e.stop({ releaseLease: false });
    for (const rt of runtimes.splice(0)) await rt.close();
    await kube.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function runtime(): Runtime {
    const rt = createRuntime({ service: 'event-exporter', natsUrl: nats.url, redisUrl: redis.url, secretKey: SECRET, logger });
    runtimes.push(rt);
    return rt;
  }

  /** The mirrored configuration: no NotificationManager, these EventRules (as config-sync writes them). */
  async function writeRules(rules: ReturnType<typeof eventRule>[]): Promise<void> {
    await new ConfigStoreWriter(runtimes[0]!.redis, new SecretBox(SECRET)).replaceAll({ objects: rules, secrets: [], problems: [] });
  }

  /** One exporter replica on its own runtime. */
  async function startExporter(opts: Partial<EventExporterServiceOptions> = {}, identity = 'replica-a'): Promise<EventExporterHandle> {
    const rt = runtime();
    await rt.connected;
    await rt.configLoaded();
    const kc = new KubeConfig();
    kc.loadFromFile(writeKubeconfig({ server: kube.url, dir: mkdtempSync(join(dir, 'kc-')) }));
    const e = startEventExporter(rt, {
      kubeConfig: kc,
      namespace: NS,
      identity,
      intervalMs: 3_600_000,
      flushMs: 50,
      lease: { durationMs: 2000, renewMs: 300, retryMs: 150 },
      backoff: { initialMs: 100, maxMs: 400 },
      ...opts,
    });
    exporters.push(e);
    return e;
  }

  /** Every alert stored in NM_INGESTED, with the message id it was published under. */
  async function published(): Promise<Array<Alert & { msgId: string | undefined }>> {
    const bus = await runtimes[0]!.connected;
    const info = await bus.jsm.streams.info(INGESTED);
    const out: Array<Alert & { msgId: string | undefined }> = [];
    for (let s = info.state.first_seq; s <= info.state.last_seq && info.state.messages > 0; s++) {
      const m = await bus.jsm.streams.getMessage(INGESTED, { seq: s }).catch(() => undefined);
      if (!m) continue;
      const batch = IngestedBatchSchema.parse(m.json());
      expect(batch.source).toBe('api');
      for (const a of batch.alerts) out.push({ ...a, msgId: m.header?.get('Nats-Msg-Id') });
    }
    return out;
  }

  /** Handled occurrences by outcome, summed over every replica of this test. */
  async function outcomes(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const rt of runtimes) {
      const metric = rt.metrics.registry.getSingleMetric('nm_events_total');
      if (!metric) continue;
      for (const v of (await metric.get()).values) {
        const k = String(v.labels['outcome']);
        out[k] = (out[k] ?? 0) + v.value;
      }
    }
    return out;
  }
  const handled = async (): Promise<number> => Object.values(await outcomes()).reduce((a, b) => a + b, 0);
  const untilHandled = (n: number): Promise<unknown> => waitFor(`${n} occurrences handled`, async () => (await handled()) >= n, 20_000);
  const untilAlerts = async (n: number): Promise<Array<Alert & { msgId: string | undefined }>> => {
    await waitFor(`${n} alerts published`, async () => (await published()).length >= n, 20_000);
    return published();
  };
  const leader = (): EventExporterHandle | undefined => exporters.find((e) => e.elector.isLeader());

  it("a Warning event becomes one alert with KubeSphere's event labels; a Normal event is filtered by default", async () => {
    const e = await startExporter();
    await waitFor('leading and listed', () => e.elector.isLeader() && e.source.listed, 20_000);
    kube.apply(kubeEvent({ name: 'web-0.warn', reason: 'BackOff', count: 1 }));
    kube.apply(kubeEvent({ name: 'web-0.normal', type: 'Normal', reason: 'Pulled', object: 'web-0' }));
    kube.apply(kubeEvent({ name: 'node-1.warn', kind: 'Node', object: 'node-1', reason: 'NodeNotReady' }));
    await untilHandled(3);
    const alerts = await published();
    expect(await outcomes()).toEqual({ exported: 2, filtered: 1 });
    const pod = alerts.find((a) => a.labels['reason'] === 'BackOff')!;
    expect(pod.labels).toEqual({
      alerttype: 'event',
      alertname: 'BackOff',
      reason: 'BackOff',
      severity: 'warning',
      namespace: 'team-a',
      kind: 'Pod',
      name: 'web-0',
      pod: 'web-0',
      cluster: 'default',
    });
    expect(pod.annotations).toMatchObject({ message: 'Back-off restarting failed container in web-0', source: 'kubelet', count: '1', eventType: 'Warning', eventName: 'web-0.warn' });
    expect(pod.status).toBe('firing');
    expect(pod.msgId).toMatch(/^ev-[0-9a-f]{24}-0$/);
    // A Node is cluster-scoped: no namespace label, so only global receivers get it.
    const node = alerts.find((a) => a.labels['reason'] === 'NodeNotReady')!;
    expect(node.labels['namespace']).toBeUndefined();
    expect(node.labels['node']).toBe('node-1');
  });

  it('a repeated event (count 1 → 5 within the interval) notifies once; after the interval its next occurrence notifies with the grown count', async () => {
    let clock = Date.now();
    const e = await startExporter({ intervalMs: 600_000, now: () => clock });
    await waitFor('leading and listed', () => e.elector.isLeader() && e.source.listed, 20_000);
    kube.apply(kubeEvent({ name: 'web-0.backoff', count: 1 }));
    await untilAlerts(1);
    for (let count = 2; count <= 5; count++) {
      kube.apply(kubeEvent({ name: 'web-0.backoff', count }));
      await untilHandled(count);
    }
    expect(await outcomes()).toEqual({ exported: 1, suppressed: 4 });
    expect((await published()).map((a) => a.annotations['count'])).toEqual(['1']);

    clock += 600_001;
    kube.apply(kubeEvent({ name: 'web-0.backoff', count: 6 }));
    const alerts = await untilAlerts(2);
    expect(alerts.map((a) => a.annotations['count'])).toEqual(['1', '6']);
    // Each occurrence is its own alert (own id), the same alert identity (fingerprint).
    expect(new Set(alerts.map((a) => a.id)).size).toBe(2);
    expect(new Set(alerts.map((a) => a.fingerprint)).size).toBe(1);
  });

  it('an EventRule change applies without a restart: filters and labels follow the mirrored configuration', async () => {
    await writeRules([eventRule('oom-only', { events: { reasons: ['^OOM'] } })]);
    const e = await startExporter();
    await waitFor('leading and listed', () => e.elector.isLeader() && e.source.listed, 20_000);
    await waitFor('rules loaded', () => runtimes[1]!.config.current().eventRules?.length === 1, 10_000);
    kube.apply(kubeEvent({ name: 'a.backoff', reason: 'BackOff' }));
    kube.apply(kubeEvent({ name: 'a.oom', reason: 'OOMKilling' }));
    await untilHandled(2);
    expect((await published()).map((a) => a.labels['reason'])).toEqual(['OOMKilling']);

    await writeRules([
      eventRule('pods', { events: { level: 'Normal', kinds: ['Pod'], reasons: ['BackOff', 'Started'] }, labels: { team: 'apps', alertname: 'PodEvent' } }),
      eventRule('disabled', { enabled: false, events: {} }),
    ]);
    await waitFor('rules reloaded', () => runtimes[1]!.config.current().eventRules?.length === 2, 10_000);
    kube.apply(kubeEvent({ name: 'b.backoff', reason: 'BackOff' }));
    kube.apply(kubeEvent({ name: 'b.started', type: 'Normal', reason: 'Started' }));
    kube.apply(kubeEvent({ name: 'b.oom', reason: 'OOMKilling' }));
    await untilHandled(5);
    const alerts = await published();
    expect(alerts.map((a) => [a.labels['reason'], a.labels['alertname'], a.labels['team'], a.labels['severity']])).toEqual([
      ['OOMKilling', 'OOMKilling', undefined, 'warning'],
      ['BackOff', 'PodEvent', 'apps', 'warning'],
      ['Started', 'PodEvent', 'apps', 'info'],
    ]);
  });

  it('involvedObjectSelector reads the involved object: only events about matching Pods are exported', async () => {
    kube.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-0', namespace: 'team-a', labels: { app: 'web' } } });
    kube.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db-0', namespace: 'team-a', labels: { app: 'db' } } });
    await writeRules([eventRule('web', { events: { involvedObjectSelector: { matchLabels: { app: 'web' } } } })]);
    const e = await startExporter();
    await waitFor('leading and listed', () => e.elector.isLeader() && e.source.listed, 20_000);
    kube.apply(kubeEvent({ object: 'web-0' }));
    kube.apply(kubeEvent({ object: 'db-0' }));
    kube.apply(kubeEvent({ object: 'gone-0' }));
    await untilHandled(3);
    expect((await published()).map((a) => a.labels['pod'])).toEqual(['web-0']);
    expect(await outcomes()).toEqual({ exported: 1, filtered: 2 });
  });

  it('a 410 relist emits no duplicates; what changed meanwhile is exported once', async () => {
    const e = await startExporter();
    await waitFor('leading and listed', () => e.elector.isLeader() && e.source.listed, 20_000);
    kube.apply(kubeEvent({ name: 'a', object: 'a-0' }));
    kube.apply(kubeEvent({ name: 'b', object: 'b-0' }));
    await untilAlerts(2);
    const lists = (): number => kube.requests.filter((r) => r.path === '/api/v1/events' && !r.watch && r.method === 'GET').length;
    const before = lists();
    kube.compact(); // every open watch gets a 410: the informer lists again
    await waitFor('relisted', () => lists() > before, 20_000);
    kube.apply(kubeEvent({ name: 'c', object: 'c-0' }));
    await untilAlerts(3);
    await untilHandled(3);
    expect((await published()).map((a) => a.labels['pod'])).toEqual(['a-0', 'b-0', 'c-0']);
  });

  it('a replica that stops without a word loses nothing that occurred meanwhile, as long as the API server lists it, and repeats nothing', async () => {
    const first = await startExporter({}, 'replica-a');
    await waitFor('leading and listed', () => first.elector.isLeader() && first.source.listed, 20_000);
    const at = new Date();
    kube.apply(kubeEvent({ name: 'before', object: 'a-0', at }));
    await untilAlerts(1);
    await first.stop({ releaseLease: false }); // as a crash leaves it: the lease runs out
    exporters.splice(exporters.indexOf(first), 1);

    kube.apply(kubeEvent({ name: 'while-down', object: 'b-0' }));
    kube.apply(kubeEvent({ name: 'before', object: 'a-0', count: 1, at })); // rewritten, same occurrence
    const second = await startExporter({}, 'replica-b');
    await waitFor('the lease taken over', () => second.elector.isLeader(), 20_000);
    await untilAlerts(2);
    await waitFor('queue drained', () => second.exporter.queueLength === 0, 10_000);
    expect((await published()).map((a) => a.labels['pod'])).toEqual(['a-0', 'b-0']);
  });

  it('two replicas: only the leader exports; when it leaves, the other takes over', async () => {
    const a = await startExporter({}, 'replica-a');
    await waitFor('a leader', () => leader() !== undefined && a.source.listed, 20_000);
    const b = await startExporter({}, 'replica-b');
    await waitFor('b listed', () => b.source.listed, 20_000);
    kube.apply(kubeEvent({ name: 'one', object: 'one-0' }));
    await untilAlerts(1);
    const first = leader()!;
    await first.stop(); // releases the lease
    exporters.splice(exporters.indexOf(first), 1);
    const other = first === a ? b : a;
    await waitFor('the other leads', () => other.elector.isLeader(), 20_000);
    kube.apply(kubeEvent({ name: 'two', object: 'two-0' }));
    await untilAlerts(2);
    await waitFor('queue drained', () => other.exporter.queueLength === 0, 10_000);
    expect((await published()).map((a) => a.labels['pod'])).toEqual(['one-0', 'two-0']);
  });

  it('events.k8s.io/v1 Events (regarding, note, series) are exported the same way', async () => {
    const e = await startExporter({ apis: ['events.k8s.io/v1'] });
    await waitFor('leading and listed', () => e.elector.isLeader() && e.source.listed, 20_000);
    const now = new Date().toISOString();
    kube.apply({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'web-0.new', namespace: 'team-b' },
      eventTime: now,
      series: { count: 2, lastObservedTime: now },
      reportingController: 'kubelet',
      reportingInstance: 'node-1',
      action: 'Pulling',
      reason: 'Failed',
      regarding: { kind: 'Pod', namespace: 'team-b', name: 'web-0', apiVersion: 'v1' },
      note: 'Failed to pull image',
      type: 'Warning',
    });
    const [alert] = await untilAlerts(1);
    expect(alert!.labels).toMatchObject({ alertname: 'Failed', namespace: 'team-b', pod: 'web-0' });
    expect(alert!.annotations).toMatchObject({ message: 'Failed to pull image', source: 'kubelet', count: '2', action: 'Pulling' });
  });
});
