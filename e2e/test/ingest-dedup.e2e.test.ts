import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

/**
 * Alertmanager re-sends an unchanged group byte for byte every repeat_interval. Inside ingest's
 * dedup window (a client retry) the body is one receipt, answered as a duplicate and notified
 * once; after the window it is a new receipt and is notified again.
 */
describe('ingest dedup window: a repeat inside it is a duplicate, after it a new notification', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '200ms', groupLabels: ['alertname'] }),
        'r.yaml': docs(webhookReceiver('d', `${sink.url}/d`, { type: 'tenant', namespace: 'ns-d' })),
      },
      env: { ingest: { NM_INGEST_DEDUP_WINDOW: '2s' } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  const deliveries = (): WebhookNotification[] =>
    sink
      .accepted('/d')
      .filter((r) => r.completed)
      .map((r) => r.body as WebhookNotification);

  it('identical body twice inside the window: one notification; again after the window: a second one with new alert ids', async () => {
    const group = {
      receiver: 'am',
      status: 'firing',
      groupLabels: { alertname: 'DiskFull' },
      alerts: [{ labels: { alertname: 'DiskFull', namespace: 'ns-d', instance: 'node-1' }, annotations: { message: 'disk full' }, startsAt: '2026-11-22T09:00:00Z' }],
    };
    const t0 = Date.now();
    const first = await stack.postAlerts(group);
    expect(first).toEqual({ status: 200, body: { Status: 200, Message: 'Notification request accepted' } });
    const retry = await stack.postAlerts(group);
    expect(retry.status).toBe(200);
    expect(retry.body.Message).toMatch(/^Duplicate of accepted request [0-9a-f]{32} \(identical body\), not stored again$/);

    await waitFor('the first notification', () => deliveries().length >= 1, 30_000);
    // past the 2 s window, plus time for a second notification to arrive if the retry had been stored
    await sleep(Math.max(0, t0 + 2500 - Date.now()) + 1500);
    expect(deliveries()).toHaveLength(1);

    const repeat = await stack.postAlerts(group);
    expect(repeat).toEqual({ status: 200, body: { Status: 200, Message: 'Notification request accepted' } });
    await waitFor('the repeat notified', () => deliveries().length >= 2, 30_000);
    await sleep(1500);
    const got = deliveries();
    process.stdout.write(`ingest dedup: ${got.length} notifications for 3 identical POSTs (2 inside a 2 s window, 1 after)\n`);
    expect(got).toHaveLength(2);
    expect(got.map((n) => n.alerts.length)).toEqual([1, 1]);
    expect(got.map((n) => n.alerts[0]!.labels.instance)).toEqual(['node-1', 'node-1']);
    expect(got[0]!.alerts[0]!.id).not.toBe(got[1]!.alerts[0]!.id);
  });
});
