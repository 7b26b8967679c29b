import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, router, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

/**
 * A Router sends severity=critical alerts to the receiver it names (`receivers.name: [oncall]`).
 * `oncall` carries the default-config label, so namespace routing never reaches it: whatever it
 * gets came through the Router. A disabled Router that would send it everything must not count.
 */
const PATHS = ['oncall', 'ops', 'team-a', 'team-b'] as const;
type Path = (typeof PATHS)[number];

/** `alertname@namespace` (`-` without a namespace), so each alert is told apart. */
const keysAt = (sink: WebhookSink, path: Path): string[] =>
  sink
    .accepted(`/${path}`)
    .flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => `${a.labels.alertname ?? '?'}@${a.labels.namespace ?? '-'}`))
    .sort();

describe('a Router by receiver name', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '300ms', groupLabels: ['alertname', 'namespace'], routePolicy: 'All' }),
        'receivers.yaml': docs(
          webhookReceiver('oncall', `${sink.url}/oncall`, { type: 'default' }),
          webhookReceiver('ops', `${sink.url}/ops`, { type: 'global' }),
          webhookReceiver('team-a', `${sink.url}/team-a`, { type: 'tenant', namespace: 'team-a' }),
          webhookReceiver('team-b', `${sink.url}/team-b`, { type: 'tenant', namespace: 'team-b' }),
        ),
        'routers.yaml': docs(
          router('critical-to-oncall', { matchLabels: { severity: 'critical' } }, { name: ['oncall'] }),
          router('everything-to-oncall', { matchExpressions: [{ key: 'alertname', operator: 'Exists' }] }, { name: ['oncall'] }, { enabled: false }),
        ),
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  it('sends severity=critical to the named receiver while every alert still goes the normal way', async () => {
    const alerts = [
      { labels: { alertname: 'DiskFull', namespace: 'team-a', severity: 'critical' } },
      { labels: { alertname: 'CPUHigh', namespace: 'team-a', severity: 'warning' } },
      { labels: { alertname: 'DiskFull', namespace: 'team-b', severity: 'critical' } },
      { labels: { alertname: 'Info', namespace: 'team-b' } },
      { labels: { alertname: 'Shouting', namespace: 'team-b', severity: 'Critical' } },
      { labels: { alertname: 'NodeDown', severity: 'critical' } },
      { labels: { alertname: 'Watch', severity: 'warning' } },
    ];
    expect((await stack.postAlerts(alerts)).status).toBe(200);

    const expected: Record<Path, string[]> = {
      oncall: ['DiskFull@team-a', 'DiskFull@team-b', 'NodeDown@-'],
      ops: ['CPUHigh@team-a', 'DiskFull@team-a', 'DiskFull@team-b', 'Info@team-b', 'NodeDown@-', 'Shouting@team-b', 'Watch@-'],
      'team-a': ['CPUHigh@team-a', 'DiskFull@team-a'],
      'team-b': ['DiskFull@team-b', 'Info@team-b', 'Shouting@team-b'],
    };
    await waitFor('every expected delivery', () => PATHS.every((p) => keysAt(sink, p).length >= expected[p].length), 20_000);
    await sleep(1500);

    expect(Object.fromEntries(PATHS.map((p) => [p, keysAt(sink, p)]))).toEqual(expected);
  });
});
