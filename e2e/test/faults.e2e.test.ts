import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

const alertsFor = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ labels: { alertname: `${prefix}-${i}`, namespace: 'ns-f' }, annotations: { message: `m${i}` } }));

function deliveredAlertIds(sink: WebhookSink, onlyCompleted: boolean): string[] {
  return sink
    .accepted('/f')
    .filter((r) => !onlyCompleted || r.completed)
    .flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => a.labels.alertname!));
}

describe('faults', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '200ms', groupLabels: ['alertname'] }),
        'r.yaml': docs(webhookReceiver('f', `${sink.url}/f`, { type: 'tenant', namespace: 'ns-f' })),
      },
      env: { 'sender-webhook': { NM_SENDER_CONCURRENCY: '4' } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  it('kill -9 of the webhook sender mid-delivery: every alert delivered, none twice', async () => {
    sink.respondWith(() => ({ status: 200, delayMs: 150 }));
    const alerts = alertsFor('kill', 60);
    expect((await stack.postAlerts(alerts)).status).toBe(200);
    // Kill while requests wait for the sink's answer, between answers: a kill in the few
    // milliseconds after an answer (before the sender recorded it) is the one duplicate window
    // left by design (see docs/architecture.md), not what this test is about.
    await waitFor(
      'deliveries in flight, between answers',
      () => {
        const { arrived, lastAnswerAt } = sink.stats();
        return sink.requests.length >= 8 && arrived > sink.requests.length && Date.now() - lastAnswerAt >= 50;
      },
      20_000,
      5,
    );
    await stack.kill9('sender-webhook');
    const atKill = sink.requests.length;
    await sleep(300);
    stack.start('sender-webhook');
    await waitFor('all 60 alerts delivered', () => new Set(deliveredAlertIds(sink, true)).size === 60, 60_000);
    await sleep(1500);
    const completed = deliveredAlertIds(sink, true);
    const raw = deliveredAlertIds(sink, false);
    process.stdout.write(`kill -9 test: ${atKill} requests before the kill, ${raw.length} requests in all, ${completed.length} completed deliveries for 60 alerts\n`);
    expect(new Set(completed).size).toBe(60);
    // no alert was delivered (response handed back to a live sender) twice
    expect(completed).toHaveLength(60);
    sink.respondWith(undefined);
  });

  it('sink answers 500 for a while, then recovers: everything arrives once', async () => {
    const failUntil = Date.now() + 3000;
    sink.respondWith((req) => (req.path === '/f' && Date.now() < failUntil ? { status: 500, body: '{"error":"down"}' } : undefined));
    const alerts = alertsFor('flaky', 10);
    expect((await stack.postAlerts(alerts)).status).toBe(200);
    await waitFor(
      'all 10 delivered after recovery',
      () => new Set(deliveredAlertIds(sink, true).filter((a) => a.startsWith('flaky-'))).size === 10,
      60_000,
    );
    await sleep(1000);
    const flaky = deliveredAlertIds(sink, true).filter((a) => a.startsWith('flaky-'));
    expect(flaky).toHaveLength(10);
    expect(sink.requests.filter((r) => r.status === 500).length).toBeGreaterThan(0);
  });
});
