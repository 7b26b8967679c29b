import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeKube, startWebhookSink, waitFor, writeKubeconfig, type FakeKube, type KubeObject, type WebhookSink } from '@nm/testing';
import { notificationManager, webhookReceiver } from './support/manifests.js';
import { SERVICES, startStack, type Stack, type WebhookNotification } from './support/stack.js';

/**
 * Sources beyond Alertmanager through the whole pipeline (every service its own process):
 * Kubernetes events from the event exporter watching a (fake) API server, audit EventLists and
 * CloudEvents posted to ingest; each reaches the receivers it should and no other.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Longer than a batch window (batchMaxWait 1s): what was published before has been delivered by then. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 2500));
const NS = 'nm-system';

/** A global webhook Receiver that takes only the alerts its selector matches. */
const selectingReceiver = (name: string, url: string, matchLabels: Record<string, string>): string =>
  `${webhookReceiver(name, url, { type: 'global' })}    alertSelector:\n      matchLabels:\n${Object.entries(matchLabels)
    .map(([k, v]) => `        ${k}: ${v}`)
    .join('\n')}\n`;

let seq = 0;
function kubeEvent(opts: { name: string; namespace?: string; object?: string; type?: string; reason?: string; count?: number; message?: string; at?: string }): KubeObject {
  const namespace = opts.namespace ?? 'team-a';
  const at = opts.at ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  seq += 1;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: opts.name, namespace },
    involvedObject: { kind: 'Pod', namespace, name: opts.object ?? `pod-${seq}`, apiVersion: 'v1' },
    reason: opts.reason ?? 'BackOff',
    message: opts.message ?? 'Back-off restarting failed container',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: at,
    lastTimestamp: at,
    count: opts.count ?? 1,
    type: opts.type ?? 'Warning',
  };
}

describe('event sources through the whole pipeline', () => {
  let kube: FakeKube;
  let sink: WebhookSink;
  let stack: Stack;
  let kubeconfig: string;

  const delivered = (path: string): WebhookNotification[] => sink.accepted(path).map((r) => r.body as WebhookNotification);
  const alertsAt = (path: string): WebhookNotification['alerts'] => delivered(path).flatMap((n) => n.alerts);

  beforeAll(async () => {
    sink = await startWebhookSink();
    kube = await startFakeKube();
    kubeconfig = writeKubeconfig({ server: kube.url });
    // kube-eventer's sink, converted by the CLI as a user would
    const migrated = spawnSync(process.execPath, [join(root, 'apps/nmctl/bin/nmctl.js'), 'migrate-eventer', '--name', 'ops-eventer', '--', `--sink=webhook:${sink.url}/eventer?level=Warning&method=POST&header=Content-Type=application/json`], {
      encoding: 'utf8',
    });
    expect([migrated.status, migrated.stderr]).toEqual([0, '']);
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager(),
        'team-a.yaml': webhookReceiver('team-a', `${sink.url}/team-a`, { type: 'tenant', namespace: 'team-a' }),
        'team-b.yaml': webhookReceiver('team-b', `${sink.url}/team-b`, { type: 'tenant', namespace: 'team-b' }),
        'audit.yaml': selectingReceiver('auditors', `${sink.url}/audit`, { alerttype: 'auditing' }),
        'cloud.yaml': selectingReceiver('cloud', `${sink.url}/cloud`, { alerttype: 'cloudevent' }),
        'eventer.yaml': migrated.stdout,
      },
      services: [...SERVICES, 'event-exporter'],
      env: {
        'event-exporter': { KUBECONFIG: kubeconfig, NM_NAMESPACE: NS, NM_LEASE_DURATION: '3s', NM_LEASE_RENEW: '1s', NM_EVENTS_INTERVAL: '1h', NM_EVENTS_FLUSH: '100ms' },
      },
    });
    await waitFor('the exporter leads', () => kube.get('coordination.k8s.io/v1', 'Lease', 'notification-manager-event-exporter', NS) !== undefined, 30_000);
  });
  afterAll(async () => {
    await stack?.stop();
    await kube?.close();
    await sink?.close();
    if (kubeconfig) rmSync(dirname(kubeconfig), { recursive: true, force: true });
  });

  it("a Warning event in a tenant's namespace reaches that tenant's receiver with KubeSphere's event labels, nothing reaches another tenant; kube-eventer's migrated receiver gets kube-eventer's default body", async () => {
    kube.apply(kubeEvent({ name: 'web-0.backoff', object: 'web-0', message: 'Back-off restarting failed container web', at: '2030-01-01T10:00:00Z' }));
    await waitFor('delivered to team-a', () => alertsAt('/team-a').length === 1, 60_000);
    await waitFor('delivered to the migrated receiver', () => sink.accepted('/eventer').length === 1, 30_000);
    await settle();
    const [alert] = alertsAt('/team-a');
    expect(alert!.labels).toMatchObject({ alerttype: 'event', alertname: 'BackOff', reason: 'BackOff', severity: 'warning', namespace: 'team-a', pod: 'web-0', kind: 'Pod', name: 'web-0' });
    const eventer = sink.accepted('/eventer')[0]!;
    expect(eventer.method).toBe('POST');
    expect(eventer.headers['content-type']).toBe('application/json');
    // kube-eventer's defaultBodyTemplate over this event. The receiver renders exactly this (nmctl's
    // tests compare the rendering byte for byte); the HTTP client sends a JSON body without its
    // leading line break.
    const kubeEventer =
      '\n{\n\t"EventType": "Warning",\n\t"EventKind": "Pod",\n\t"EventReason": "BackOff",\n\t"EventTime": "2030-01-01 10:00:00 +0000 UTC",\n\t"EventMessage": "Back-off restarting failed container web"\n}';
    expect(eventer.rawBody).toBe(kubeEventer.trimStart());
    expect(sink.accepted('/team-b')).toHaveLength(0);
    expect(sink.accepted('/audit')).toHaveLength(0);
  });

  it('a Normal event is filtered; a repeated event (count 1 → 5 within the interval) notifies once', async () => {
    const before = alertsAt('/team-a').length;
    kube.apply(kubeEvent({ name: 'db-0.pulled', object: 'db-0', type: 'Normal', reason: 'Pulled' }));
    kube.apply(kubeEvent({ name: 'db-0.unhealthy', object: 'db-0', reason: 'Unhealthy', count: 1 }));
    await waitFor('the first occurrence delivered', () => alertsAt('/team-a').some((a) => a.labels['reason'] === 'Unhealthy'), 60_000);
    for (let count = 2; count <= 5; count++) kube.apply(kubeEvent({ name: 'db-0.unhealthy', object: 'db-0', reason: 'Unhealthy', count }));
    // A later event in the same namespace: once it is delivered, the updates before it were handled.
    kube.apply(kubeEvent({ name: 'sentinel-1', object: 'sentinel', reason: 'Sentinel' }));
    await waitFor('the sentinel delivered', () => alertsAt('/team-a').some((a) => a.labels['reason'] === 'Sentinel'), 60_000);
    await settle();
    const after = alertsAt('/team-a').slice(before);
    expect(after.map((a) => a.labels['reason']).sort()).toEqual(['Sentinel', 'Unhealthy']);
    expect(sink.accepted('/team-b')).toHaveLength(0);
  });

  it('an EventRule change applies without a restart', async () => {
    writeFileSync(
      join(stack.configDir, 'special.yaml'),
      'apiVersion: notification.kubesphere.io/v2beta2\nkind: EventRule\nmetadata: {name: special}\nspec:\n  events: {reasons: ["^Special"]}\n  labels: {special: "yes"}\n',
    );
    // config-sync mirrors the directory within seconds; an event before that has no label, after it has
    await waitFor(
      'the new rule labels a new event',
      async () => {
        kube.apply(kubeEvent({ name: `special-${(seq += 1)}`, namespace: 'team-b', reason: 'SpecialCase' }));
        await new Promise((r) => setTimeout(r, 1500));
        return alertsAt('/team-b').some((a) => a.labels['special'] === 'yes');
      },
      60_000,
      0,
    );
    expect(alertsAt('/team-b').every((a) => a.labels['namespace'] === 'team-b')).toBe(true);
  });

  it('kill -9 of the exporter loses no event that occurred while it was down (the API server still lists it), and repeats none', async () => {
    const before = alertsAt('/team-a').map((a) => a.labels['pod']);
    await stack.kill9('event-exporter');
    kube.apply(kubeEvent({ name: 'while-down', object: 'down-0', reason: 'FailedMount' }));
    stack.start('event-exporter');
    await waitFor('the event that occurred while down delivered', () => alertsAt('/team-a').some((a) => a.labels['pod'] === 'down-0'), 90_000);
    kube.apply(kubeEvent({ name: 'sentinel-2', object: 'sentinel-2', reason: 'Sentinel' }));
    await waitFor('the sentinel delivered', () => alertsAt('/team-a').some((a) => a.labels['pod'] === 'sentinel-2'), 60_000);
    await settle();
    expect(alertsAt('/team-a').map((a) => a.labels['pod'])).toEqual([...before, 'down-0', 'sentinel-2']);
  });

  it('an audit EventList from the API server reaches the auditing receiver; a malformed one is answered 400 naming the problem', async () => {
    const post = (body: unknown) => fetch(`${stack.ingestUrl}/api/v2/audit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const res = await post({
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      metadata: {},
      items: [
        {
          level: 'Metadata',
          auditID: '2d4ae2b0-2a8b-4a5c-9b8e-6cfa3c7b2a11',
          stage: 'ResponseComplete',
          requestURI: '/api/v1/namespaces/team-a/secrets/db',
          verb: 'delete',
          user: { username: 'alice', groups: ['system:authenticated'] },
          sourceIPs: ['10.0.0.7'],
          userAgent: 'kubectl/v1.29.0',
          objectRef: { resource: 'secrets', namespace: 'team-a', name: 'db', apiVersion: 'v1' },
          responseStatus: { metadata: {}, code: 200 },
          requestReceivedTimestamp: '2030-01-01T10:00:00.123456Z',
          stageTimestamp: '2030-01-01T10:00:00.130000Z',
        },
      ],
    });
    expect(res.status).toBe(200);
    await waitFor('the audit alert delivered', () => alertsAt('/audit').length === 1, 60_000);
    expect(alertsAt('/audit')[0]!.labels).toMatchObject({ alerttype: 'auditing', alertname: 'ResourceChange', user: 'alice', verb: 'delete', resource: 'secrets', name: 'db', namespace: 'team-a' });
    // the tenant of the secret's namespace gets it too (it is team-a's alert); team-b does not
    await waitFor('team-a gets its audit alert', () => alertsAt('/team-a').some((a) => a.labels['alerttype'] === 'auditing'), 30_000);
    expect(alertsAt('/team-b').some((a) => a.labels['alerttype'] === 'auditing')).toBe(false);

    const bad = await post({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [{ auditID: 'x', stage: 'ResponseComplete' }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { Message: string }).Message).toMatch(/items\[0\]\.verb: required/);
  });

  it('a CloudEvent in each mode (structured, batch, binary) reaches its receiver; a malformed one is answered 400 naming the problem', async () => {
    const url = `${stack.ingestUrl}/api/v2/cloudevents`;
    const event = (id: string) => ({ specversion: '1.0', id, source: '/ci/pipelines', type: 'com.example.pipeline.failed', subject: id, time: '2030-01-01T10:00:00Z', data: { message: `pipeline ${id} failed` } });
    const structured = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(event('s1')) });
    const batch = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify([event('b1'), event('b2')]) });
    const binary = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'x1', 'ce-source': '/ci/pipelines', 'ce-type': 'com.example.pipeline.failed', 'ce-subject': 'x1' },
      body: JSON.stringify({ message: 'pipeline x1 failed' }),
    });
    expect([structured.status, batch.status, binary.status]).toEqual([200, 200, 200]);
    await waitFor('four CloudEvents delivered', () => alertsAt('/cloud').length === 4, 60_000);
    expect(alertsAt('/cloud').map((a) => a.labels['subject']).sort()).toEqual(['b1', 'b2', 's1', 'x1']);
    expect(alertsAt('/cloud').every((a) => a.labels['alertname'] === 'com.example.pipeline.failed' && a.labels['source'] === '/ci/pipelines')).toBe(true);

    const bad = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify({ ...event('z'), specversion: '0.3' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { Message: string }).Message).toMatch(/specversion: must be "1\.0"/);
    const notCe = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(notCe.status).toBe(400);
  });
});
