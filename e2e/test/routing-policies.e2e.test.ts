import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, router, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

/**
 * One Router (severity=critical → the global receiver `global-pager`, by name) next to two global
 * and two tenant receivers, under each routePolicy. Every alert has its own alertname, so each
 * receiver's deliveries can be compared with the exact expected list (duplicates included).
 */
const RECEIVERS = ['global-all', 'global-pager', 'tenant-a', 'tenant-b'] as const;
type ReceiverName = (typeof RECEIVERS)[number];

const ALERTS = [
  { labels: { alertname: 'ACritical', namespace: 'ns-a', severity: 'critical' } },
  { labels: { alertname: 'AWarning', namespace: 'ns-a', severity: 'warning' } },
  { labels: { alertname: 'BWarning', namespace: 'ns-b', severity: 'warning' } },
  { labels: { alertname: 'NoNsCritical', severity: 'critical' } },
  { labels: { alertname: 'NoNsWarning', severity: 'warning' } },
];

const CASES: Array<{ policy: 'All' | 'RouterFirst' | 'RouterOnly'; expected: Record<ReceiverName, string[]> }> = [
  {
    // Router targets plus every global receiver plus the alert's tenant receivers.
    policy: 'All',
    expected: {
      'global-all': ['ACritical', 'AWarning', 'BWarning', 'NoNsCritical', 'NoNsWarning'],
      'global-pager': ['ACritical', 'AWarning', 'BWarning', 'NoNsCritical', 'NoNsWarning'],
      'tenant-a': ['ACritical', 'AWarning'],
      'tenant-b': ['BWarning'],
    },
  },
  {
    // Critical alerts matched a Router that supplied a receiver: only that receiver. The rest go the namespace way.
    policy: 'RouterFirst',
    expected: {
      'global-all': ['AWarning', 'BWarning', 'NoNsWarning'],
      'global-pager': ['ACritical', 'AWarning', 'BWarning', 'NoNsCritical', 'NoNsWarning'],
      'tenant-a': ['AWarning'],
      'tenant-b': ['BWarning'],
    },
  },
  {
    // Only Router targets: the named global receiver gets the critical alerts, nobody gets anything else.
    policy: 'RouterOnly',
    expected: {
      'global-all': [],
      'global-pager': ['ACritical', 'NoNsCritical'],
      'tenant-a': [],
      'tenant-b': [],
    },
  },
];

const alertnamesAt = (sink: WebhookSink, receiver: ReceiverName): string[] =>
  sink
    .accepted(`/${receiver}`)
    .flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => a.labels.alertname ?? '?'))
    .sort();

describe.each(CASES)('routePolicy $policy with a severity=critical Router naming a global receiver', ({ policy, expected }) => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '300ms', groupLabels: ['alertname'], routePolicy: policy }),
        'receivers.yaml': docs(
          webhookReceiver('global-all', `${sink.url}/global-all`, { type: 'global' }),
          webhookReceiver('global-pager', `${sink.url}/global-pager`, { type: 'global' }),
          webhookReceiver('tenant-a', `${sink.url}/tenant-a`, { type: 'tenant', namespace: 'ns-a' }),
          webhookReceiver('tenant-b', `${sink.url}/tenant-b`, { type: 'tenant', namespace: 'ns-b' }),
        ),
        'routers.yaml': router('critical-to-pager', { matchLabels: { severity: 'critical' } }, { name: ['global-pager'] }),
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  it('delivers exactly the expected alerts to each receiver', async () => {
    const res = await stack.postAlerts(ALERTS.map((a) => ({ ...a, annotations: { message: `${a.labels.alertname} under ${policy}` } })));
    expect(res.status).toBe(200);

    const expectedTotal = RECEIVERS.reduce((n, r) => n + expected[r].length, 0);
    await waitFor(`${expectedTotal} receiver deliveries`, () => RECEIVERS.every((r) => alertnamesAt(sink, r).length >= expected[r].length), 20_000);
    // a further window: nothing else arrives
    await sleep(1500);

    const got = Object.fromEntries(RECEIVERS.map((r) => [r, alertnamesAt(sink, r)]));
    expect(got).toEqual(expected);
    // nothing went to a path that is not a receiver of this stack
    expect(sink.requests.filter((r) => !RECEIVERS.some((name) => r.path === `/${name}`))).toHaveLength(0);
  });
});
