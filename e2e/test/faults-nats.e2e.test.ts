import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

/**
 * kill -9 of nats-server while alerts are being posted and delivered: ingest answers 503 while
 * NATS is away (a client such as Alertmanager retries), and every alert that got a 200 — plus
 * every retried one — is delivered exactly once after NATS comes back on the same store.
 */
describe('kill -9 of nats-server mid-stream', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '200ms', groupLabels: ['alertname'] }),
        'r.yaml': docs(webhookReceiver('n', `${sink.url}/n`, { type: 'tenant', namespace: 'ns-n' })),
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  it('loses nothing and duplicates nothing', async () => {
    sink.respondWith(() => ({ status: 200, delayMs: 20 }));
    const statuses: number[] = [];
    const post = async (i: number): Promise<void> => {
      const body = [{ labels: { alertname: `nats-${i}`, namespace: 'ns-n' }, annotations: { message: `m${i}` } }];
      // retry like Alertmanager does until the alert is accepted
      for (;;) {
        const r = await stack.postAlerts(body).catch(() => ({ status: 0, body: { Status: 0, Message: 'connection error' } }));
        statuses.push(r.status);
        if (r.status === 200) return;
        await sleep(200);
      }
    };
    const TOTAL = 40;
    const posting = (async () => {
      for (let i = 0; i < TOTAL; i++) {
        await post(i);
        await sleep(50);
      }
    })();
    await waitFor('first deliveries', () => sink.accepted('/n').length >= 5, 20_000);
    const acceptedAtKill = statuses.filter((s) => s === 200).length;
    await stack.nats.kill9();
    await sleep(1500);
    await stack.nats.restart();
    await posting;

    const delivered = (): string[] =>
      sink
        .accepted('/n')
        .filter((r) => r.completed)
        .flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => a.labels.alertname!));
    await waitFor(`all ${TOTAL} alerts delivered`, () => new Set(delivered()).size === TOTAL, 60_000);
    await sleep(1500);
    const got = delivered();
    process.stdout.write(
      `nats kill -9: ${statuses.filter((s) => s !== 200).length} POSTs refused during the outage (statuses ${[...new Set(statuses)].join(',')}), ${got.length} deliveries for ${TOTAL} alerts\n`,
    );
    expect(acceptedAtKill).toBeLessThan(TOTAL); // the outage hit while alerts were still coming in
    expect(new Set(got).size).toBe(TOTAL);
    expect(got).toHaveLength(TOTAL);
    expect(statuses.filter((s) => s !== 200 && s !== 503 && s !== 0)).toEqual([]);
  });
});
