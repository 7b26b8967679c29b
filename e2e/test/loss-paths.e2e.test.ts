import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

const alertIdsAt = (sink: WebhookSink, path: string): string[] =>
  sink.requests.filter((r) => r.path === path && r.status < 300).flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => a.labels.uid ?? ''));

describe('a 3 MiB POST of 9,000 alerts is delivered whole', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '1s', groupLabels: ['alertname', 'namespace'] }),
        'receivers.yaml': docs(
          webhookReceiver('global-ops', `${sink.url}/global`, { type: 'global' }),
          webhookReceiver('tenant-big', `${sink.url}/tenant`, { type: 'tenant', namespace: 'big' }),
        ),
      },
      // a start that fails reports the services' logs before the hook times out
      readyTimeoutMs: 120_000,
    });
  }, 150_000);
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  it('reaches both receivers with every alert exactly once, nothing dead-lettered', async () => {
    const alerts = Array.from({ length: 9000 }, (_, i) => ({
      labels: { alertname: `Load${i % 30}`, namespace: 'big', pod: `pod-${i}`, uid: `u${i}`, severity: 'warning' },
      annotations: { message: `alert ${i} `.padEnd(240, '.') },
    }));
    const body = JSON.stringify(alerts);
    expect(body.length).toBeGreaterThan(3 * 1024 * 1024);
    const res = await fetch(`${stack.ingestUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);

    const want = alerts.map((a) => a.labels.uid).sort();
    await waitFor('every alert at both receivers', () => alertIdsAt(sink, '/global').length >= 9000 && alertIdsAt(sink, '/tenant').length >= 9000, 90_000, 250);
    await new Promise((r) => setTimeout(r, 2000)); // a further flush window: nothing more arrives
    expect(alertIdsAt(sink, '/global').sort()).toEqual(want);
    expect(alertIdsAt(sink, '/tenant').sort()).toEqual(want);
    const dlq = (await (await fetch(`${stack.ingestUrl}/api/v2/dlq`)).json()) as { items?: unknown[] } | unknown[];
    const items = Array.isArray(dlq) ? dlq : (dlq.items ?? []);
    expect(items).toEqual([]);
  }, 120_000);
});

describe('stages wait for their configuration before consuming', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '500ms' }),
        'receivers.yaml': webhookReceiver('tenant-a', `${sink.url}/a`, { type: 'tenant', namespace: 'ns-a' }),
      },
      readyTimeoutMs: 120_000,
    });
  }, 150_000);
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  it('a backlog met by a Redis without configuration is held, then delivered once config-sync mirrors it', async () => {
    const post = async (uid: string): Promise<void> => {
      const r = await stack.postAlerts([{ labels: { alertname: 'Backlog', namespace: 'ns-a', uid } }]);
      expect(r.status).toBe(200);
    };
    await post('before');
    await waitFor('first alert delivered', () => alertIdsAt(sink, '/a').includes('before'), 30_000);

    // the stages go away; a backlog builds up in NM_INGESTED
    await Promise.all([stack.kill9('silencer'), stack.kill9('router'), stack.kill9('aggregator'), stack.kill9('config-sync')]);
    for (let i = 0; i < 10; i++) await post(`backlog-${i}`);
    // Redis loses the configuration (a restart without persistence, a fresh install)
    const redis = new Redis(stack.redis.url);
    const keys = await redis.keys('nm:config:*');
    if (keys.length > 0) await redis.del(...keys);
    // the stages come back first: with no configuration they must not consume (and ack) anything
    stack.start('silencer');
    stack.start('router');
    stack.start('aggregator');
    await waitFor('stages waiting for configuration', () => /waiting for the configuration snapshot/.test(stack.logs('router')), 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    const nc = await connect({ servers: stack.nats.url });
    const jsm = await jetstreamManager(nc);
    const held = (await jsm.streams.info('NM_INGESTED')).state.messages;
    expect(held).toBe(10);
    expect(alertIdsAt(sink, '/a')).toEqual(['before']);

    stack.start('config-sync');
    await waitFor('backlog delivered', () => alertIdsAt(sink, '/a').length >= 11, 60_000, 250);
    await new Promise((r) => setTimeout(r, 1500));
    expect(alertIdsAt(sink, '/a').sort()).toEqual(['before', ...Array.from({ length: 10 }, (_, i) => `backlog-${i}`)].sort());
    await nc.close();
    redis.disconnect();
  }, 120_000);
});
