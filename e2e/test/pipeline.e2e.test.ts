import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, globalSilence, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

const NAMESPACES = ['ns-a', 'ns-b', 'ns-c'] as const;

describe('alerts travel ingest → silencer → router → aggregator → sender-webhook', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '1s', groupLabels: ['alertname', 'namespace'] }),
        'receivers.yaml': docs(
          webhookReceiver('global-ops', `${sink.url}/global`, { type: 'global' }),
          ...NAMESPACES.map((ns) => webhookReceiver(`tenant-${ns}`, `${sink.url}/${ns}`, { type: 'tenant', namespace: ns })),
        ),
        'silence.yaml': globalSilence('mute-noisy', { alertname: 'Noisy' }),
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  it('delivers each tenant exactly its namespace, the global receiver everything, grouped, minus silenced alerts', async () => {
    const alerts = NAMESPACES.flatMap((ns) =>
      ['CPUHigh', 'MemHigh'].flatMap((alertname) =>
        ['p1', 'p2'].map((pod) => ({ labels: { alertname, namespace: ns, pod, severity: 'warning' }, annotations: { message: `${alertname} ${pod}` } })),
      ),
    );
    const noisy = NAMESPACES.map((ns) => ({ labels: { alertname: 'Noisy', namespace: ns }, annotations: {} }));
    const res = await stack.postAlerts({ receiver: 'am', status: 'firing', alerts: [...alerts, ...noisy] });
    expect(res).toEqual({ status: 200, body: { Status: 200, Message: 'Notification request accepted' } });

    const received = (path: string): WebhookNotification[] => sink.accepted(path).map((r) => r.body as WebhookNotification);
    const count = (path: string): number => received(path).reduce((n, b) => n + b.alerts.length, 0);
    await waitFor('all deliveries', () => count('/global') === alerts.length && NAMESPACES.every((ns) => count(`/${ns}`) === 4), 30_000);
    // nothing more arrives after a further flush window
    await new Promise((r) => setTimeout(r, 1500));

    for (const ns of NAMESPACES) {
      const got = received(`/${ns}`);
      const nsOf = got.flatMap((n) => n.alerts.map((a) => a.labels.namespace));
      expect(new Set(nsOf)).toEqual(new Set([ns]));
      expect(nsOf).toHaveLength(4);
      // grouped by alertname+namespace: two notifications of two alerts each
      expect(got.map((n) => n.alerts.length).sort()).toEqual([2, 2]);
      for (const n of got) {
        expect(Object.keys(n.groupLabels).sort()).toEqual(['alertname', 'namespace']);
        for (const a of n.alerts) {
          expect(a.labels.alertname).toBe(n.groupLabels.alertname);
          expect(a.labels.namespace).toBe(n.groupLabels.namespace);
        }
      }
    }
    const global = received('/global');
    expect(global).toHaveLength(6);
    const globalAlerts = global.flatMap((n) => n.alerts);
    expect(globalAlerts).toHaveLength(12);
    expect(new Set(globalAlerts.map((a) => a.id)).size).toBe(12);
    expect(globalAlerts.some((a) => a.labels.alertname === 'Noisy')).toBe(false);
    expect(sink.requests.filter((r) => r.rawBody.includes('"Noisy"'))).toHaveLength(0);
    // every delivery carries its notification id as Idempotency-Key, each key once
    const keys = sink.accepted().map((r) => r.headers['idempotency-key']);
    expect(keys.every((k) => typeof k === 'string' && k.length > 0)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('answers 400 naming the bad field and keeps working', async () => {
    const bad = await stack.postAlerts([{ labels: { alertname: 7 } }]);
    expect(bad.status).toBe(400);
    expect(bad.body.Message).toContain('[0].labels.alertname: must be a string');
    const before = sink.accepted('/ns-b').length;
    const ok = await stack.postAlerts([{ labels: { alertname: 'After', namespace: 'ns-b' } }]);
    expect(ok.status).toBe(200);
    await waitFor('later alert delivered', () => sink.accepted('/ns-b').length === before + 1, 20_000);
  });
});
