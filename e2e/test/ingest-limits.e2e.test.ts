import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

/** Hostile input at ingest: a clear 4xx naming the limit, nothing delivered for it, nothing else affected. */
describe('ingest input limits', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '200ms', groupLabels: ['alertname'] }),
        'r.yaml': docs(webhookReceiver('l', `${sink.url}/l`, { type: 'tenant', namespace: 'ns-l' })),
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  it('an alert with 5,000 labels is answered 4xx naming NM_INGEST_MAX_LABELS and is not delivered; a normal alert is', async () => {
    const labels: Record<string, string> = { alertname: 'Hostile', namespace: 'ns-l' };
    for (let i = 0; i < 4998; i++) labels[`label_${i}`] = `value-${i}`;
    const hostile = await stack.postAlerts({ receiver: 'am', status: 'firing', alerts: [{ labels, annotations: {} }] });
    expect(hostile.status).toBeGreaterThanOrEqual(400);
    expect(hostile.status).toBeLessThan(500);
    expect(hostile.body.Status).toBe(hostile.status);
    expect(hostile.body.Message).toBe(
      '0 alert(s) accepted, 1 rejected: alerts[0].labels: 5000 labels, more than the limit of 128 (NM_INGEST_MAX_LABELS)',
    );

    const normal = await stack.postAlerts({
      receiver: 'am',
      status: 'firing',
      alerts: [{ labels: { alertname: 'Normal', namespace: 'ns-l' }, annotations: { message: 'ok' } }],
    });
    expect(normal).toEqual({ status: 200, body: { Status: 200, Message: 'Notification request accepted' } });

    const delivered = (): string[] =>
      sink
        .accepted('/l')
        .filter((r) => r.completed)
        .flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => a.labels.alertname!));
    await waitFor('the normal alert delivered', () => delivered().includes('Normal'), 30_000);
    await sleep(1500);
    expect(delivered()).toEqual(['Normal']);
  });
});
