import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

/**
 * kill -9 of redis-server (no persistence: it comes back empty) while alerts flow: config-sync
 * mirrors the configuration again, services keep their last snapshot meanwhile, and every
 * accepted alert is delivered. Delivered-ids are lost with Redis, so an alert whose delivery was
 * in flight at the kill may arrive twice (at-least-once); the count is printed.
 */
describe('kill -9 of redis-server mid-stream', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '200ms', groupLabels: ['alertname'] }),
        'r.yaml': docs(webhookReceiver('rd', `${sink.url}/rd`, { type: 'tenant', namespace: 'ns-r' })),
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  it('loses nothing when Redis restarts empty', async () => {
    sink.respondWith(() => ({ status: 200, delayMs: 20 }));
    const TOTAL = 40;
    const statuses: number[] = [];
    const posting = (async () => {
      for (let i = 0; i < TOTAL; i++) {
        for (;;) {
          const r = await stack
            .postAlerts([{ labels: { alertname: `redis-${i}`, namespace: 'ns-r' }, annotations: { message: `m${i}` } }])
            .catch(() => ({ status: 0, body: { Status: 0, Message: 'connection error' } }));
          statuses.push(r.status);
          if (r.status === 200) break;
          await sleep(200);
        }
        await sleep(50);
      }
    })();
    await waitFor('first deliveries', () => sink.accepted('/rd').length >= 5, 20_000);
    const acceptedAtKill = statuses.filter((s) => s === 200).length;
    await stack.redis.restart();
    await posting;
    const delivered = (): string[] =>
      sink
        .accepted('/rd')
        .filter((r) => r.completed)
        .flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => a.labels.alertname!));
    await waitFor(`all ${TOTAL} alerts delivered`, () => new Set(delivered()).size === TOTAL, 60_000);
    await sleep(1500);
    const got = delivered();
    process.stdout.write(`redis kill -9: ${got.length} deliveries for ${TOTAL} alerts (${got.length - new Set(got).size} repeated), POST statuses ${[...new Set(statuses)].join(',')}\n`);
    expect(acceptedAtKill).toBeLessThan(TOTAL); // the restart hit while alerts were still coming in
    expect(new Set(got).size).toBe(TOTAL);
    expect(got.length - TOTAL).toBeLessThanOrEqual(5);
  });
});
