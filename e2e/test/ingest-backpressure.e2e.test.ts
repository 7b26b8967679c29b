import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

const MAX_MSGS = 20;
const TOTAL = 40;

/**
 * The first stream (NM_INGESTED) fills up while the silencer is down: ingest answers 503 with
 * Retry-After from its high-water mark on (or when JetStream refuses the publish), never 200 for
 * what it did not store. Once the silencer is back and the client retries, every accepted alert is
 * delivered exactly once.
 */
describe('ingest back-pressure on a full first stream', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '200ms', groupLabels: ['alertname'] }),
        'r.yaml': docs(webhookReceiver('b', `${sink.url}/b`, { type: 'tenant', namespace: 'ns-b' })),
      },
      // every service provisions the streams, so every service gets the same limit
      commonEnv: { NM_STREAM_INGESTED_MAX_MSGS: String(MAX_MSGS) },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  it('503 with Retry-After above the high-water mark; after the silencer returns, retried POSTs are delivered exactly once', async () => {
    const post = async (i: number): Promise<{ status: number; retryAfter: string | null; message: string }> => {
      const body = { receiver: 'am', status: 'firing', alerts: [{ labels: { alertname: `bp-${i}`, namespace: 'ns-b' }, annotations: { message: `m${i}` } }] };
      const r = await fetch(`${stack.ingestUrl}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = (await r.json()) as { Message: string };
      return { status: r.status, retryAfter: r.headers.get('retry-after'), message: answer.Message };
    };

    await stack.kill9('silencer');
    const first: Array<Awaited<ReturnType<typeof post>>> = [];
    // paced like distinct groups arriving: ingest reads the stream's fill at most every 500 ms
    for (let i = 0; i < TOTAL; i++) {
      first.push(await post(i));
      await sleep(100);
    }
    const accepted = first.flatMap((a, i) => (a.status === 200 ? [i] : []));
    const refused = first.flatMap((a, i) => (a.status === 200 ? [] : [i]));
    process.stdout.write(
      `back-pressure: ${accepted.length} of ${TOTAL} POSTs accepted with the silencer down (NM_INGESTED max_msgs ${MAX_MSGS}); refusals: ${[
        ...new Set(refused.map((i) => first[i]!.message)),
      ].join(' | ')}\n`,
    );
    expect(accepted.length).toBeGreaterThanOrEqual(Math.floor(MAX_MSGS * 0.9));
    expect(accepted.length).toBeLessThanOrEqual(MAX_MSGS);
    // accepted ones come first: once refused, every later POST is refused too
    expect(accepted).toEqual(Array.from({ length: accepted.length }, (_, i) => i));
    for (const i of refused) {
      expect(first[i]!.status).toBe(503);
      expect(first[i]!.retryAfter).toMatch(/^[1-9]\d*$/);
      expect(first[i]!.message).toMatch(/^alert stream is (\d+% full \(high-water mark 0\.9\)|full), retry later$/);
    }
    // the high-water mark answers before the stream is full (the last refusals come well after the fill was re-read)
    expect(refused.filter((i) => first[i]!.message.includes('high-water mark')).length).toBeGreaterThan(0);

    stack.start('silencer');
    // retry the refused POSTs, as Alertmanager would, until each is accepted
    let pending = refused;
    let rounds = 0;
    await waitFor(
      'every refused POST accepted on retry',
      async () => {
        const next: number[] = [];
        for (const i of pending) {
          const a = await post(i);
          if (a.status !== 200) {
            expect(a.status).toBe(503);
            expect(a.retryAfter).not.toBeNull();
            next.push(i);
          }
        }
        pending = next;
        rounds += 1;
        return pending.length === 0;
      },
      60_000,
      300,
    );

    const delivered = (): string[] =>
      sink
        .accepted('/b')
        .filter((r) => r.completed)
        .flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => a.labels.alertname!));
    await waitFor(`all ${TOTAL} alerts delivered`, () => new Set(delivered()).size === TOTAL, 60_000);
    await sleep(1500);
    const got = delivered();
    process.stdout.write(`back-pressure: ${refused.length} refused POSTs accepted after ${rounds} retry round(s); ${got.length} deliveries for ${TOTAL} alerts\n`);
    expect(new Set(got).size).toBe(TOTAL);
    expect(got).toHaveLength(TOTAL);
  });
});
