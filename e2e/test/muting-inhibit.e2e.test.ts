import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, inhibitRule, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

/**
 * A global InhibitRule: a firing NodeDown mutes the pod alerts of the same node (`equal: [node]`).
 * Pod alerts live in namespace `apps` (a tenant receiver) and reach the global receiver too.
 */
const PATHS = ['ops', 'apps'] as const;
type Path = (typeof PATHS)[number];
const POD_ALERTS = ['PodNotReady', 'PodCrashLooping'];

/** `alertname/node/pod:status` of every alert delivered on `path`. */
const keysAt = (sink: WebhookSink, path: Path): string[] =>
  sink
    .accepted(`/${path}`)
    .flatMap((r) =>
      (r.body as WebhookNotification).alerts.map((a) => `${a.labels.alertname ?? '?'}/${a.labels.node ?? '-'}/${a.labels.pod ?? '-'}:${a.status}`),
    )
    .sort();

const has = (sink: WebhookSink, path: Path, key: string): boolean => keysAt(sink, path).includes(key);

const nodeDown = (node: string, extra: Record<string, unknown> = {}) => ({
  labels: { alertname: 'NodeDown', node, severity: 'critical' },
  annotations: { message: `node ${node} is down` },
  ...extra,
});
const podAlert = (alertname: string, node: string, pod: string, round: number) => ({
  labels: { alertname, node, pod, namespace: 'apps', severity: 'warning' },
  // the round makes every POST body (and so its ingest message id) distinct
  annotations: { message: `${pod} on ${node}`, round: String(round) },
});

describe('a global InhibitRule: NodeDown mutes pod alerts on the same node', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '300ms', groupLabels: ['alertname', 'node'] }),
        'receivers.yaml': docs(
          webhookReceiver('ops', `${sink.url}/ops`, { type: 'global' }),
          webhookReceiver('apps', `${sink.url}/apps`, { type: 'tenant', namespace: 'apps' }),
        ),
        'inhibit.yaml': inhibitRule('node-down-mutes-pods', { type: 'global' }, {
          sourceSelector: { matchLabels: { alertname: 'NodeDown' } },
          targetSelector: { matchExpressions: [{ key: 'alertname', operator: 'In', values: POD_ALERTS }] },
          equal: ['node'],
        }),
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  it('mutes n1 pod alerts while NodeDown n1 fires, lets n2 through, and stops muting once NodeDown is resolved', async () => {
    // 1. NodeDown fires on n1 (no namespace: global receiver only)
    expect((await stack.postAlerts({ receiver: 'am', status: 'firing', alerts: [nodeDown('n1', { status: 'firing' })] })).status).toBe(200);
    await waitFor('NodeDown n1 delivered', () => has(sink, 'ops', 'NodeDown/n1/-:firing'), 20_000);

    // 2. pod alerts on n1 and n2, plus a non-target alert on n1
    const round1 = [
      podAlert('PodNotReady', 'n1', 'p1', 1),
      podAlert('PodCrashLooping', 'n1', 'p2', 1),
      podAlert('PodNotReady', 'n2', 'p3', 1),
      { labels: { alertname: 'DiskPressure', node: 'n1', namespace: 'apps' }, annotations: { round: '1' } },
    ];
    expect((await stack.postAlerts(round1)).status).toBe(200);
    await waitFor(
      'n2 pod alert and the non-target n1 alert delivered',
      () => PATHS.every((p) => has(sink, p, 'PodNotReady/n2/p3:firing') && has(sink, p, 'DiskPressure/n1/-:firing')),
      20_000,
    );
    await sleep(1500);
    expect(keysAt(sink, 'ops')).toEqual(['DiskPressure/n1/-:firing', 'NodeDown/n1/-:firing', 'PodNotReady/n2/p3:firing']);
    expect(keysAt(sink, 'apps')).toEqual(['DiskPressure/n1/-:firing', 'PodNotReady/n2/p3:firing']);

    // 3. NodeDown n1 resolved (endsAt in the past)
    const startsAt = new Date(Date.now() - 120_000).toISOString();
    const endsAt = new Date(Date.now() - 1_000).toISOString();
    expect((await stack.postAlerts([nodeDown('n1', { startsAt, endsAt })])).status).toBe(200);
    await waitFor('resolved NodeDown n1 delivered', () => has(sink, 'ops', 'NodeDown/n1/-:resolved'), 20_000);

    // 4. the n1 pod alerts again: no longer inhibited
    expect((await stack.postAlerts([podAlert('PodNotReady', 'n1', 'p1', 2), podAlert('PodCrashLooping', 'n1', 'p2', 2)])).status).toBe(200);
    await waitFor(
      'n1 pod alerts delivered after the resolve',
      () => PATHS.every((p) => has(sink, p, 'PodNotReady/n1/p1:firing') && has(sink, p, 'PodCrashLooping/n1/p2:firing')),
      20_000,
    );
    await sleep(1500);
    const round2 = ['PodCrashLooping/n1/p2:firing', 'PodNotReady/n1/p1:firing'];
    expect(keysAt(sink, 'ops')).toEqual(
      ['DiskPressure/n1/-:firing', 'NodeDown/n1/-:firing', 'NodeDown/n1/-:resolved', 'PodNotReady/n2/p3:firing', ...round2].sort(),
    );
    expect(keysAt(sink, 'apps')).toEqual(['DiskPressure/n1/-:firing', 'PodNotReady/n2/p3:firing', ...round2].sort());
  });

  it('a source and its targets in one POST: the targets are already muted', async () => {
    const before = { ops: keysAt(sink, 'ops').length, apps: keysAt(sink, 'apps').length };
    const body = [nodeDown('n3'), podAlert('PodNotReady', 'n3', 'p9', 3), podAlert('PodNotReady', 'n4', 'p8', 3)];
    expect((await stack.postAlerts(body)).status).toBe(200);
    await waitFor(
      'NodeDown n3 and the n4 pod alert delivered',
      () => has(sink, 'ops', 'NodeDown/n3/-:firing') && has(sink, 'ops', 'PodNotReady/n4/p8:firing') && has(sink, 'apps', 'PodNotReady/n4/p8:firing'),
      20_000,
    );
    await sleep(1500);
    expect(keysAt(sink, 'ops')).toHaveLength(before.ops + 2);
    expect(keysAt(sink, 'apps')).toHaveLength(before.apps + 1);
    expect(PATHS.some((p) => has(sink, p, 'PodNotReady/n3/p9:firing'))).toBe(false);
  });
});
