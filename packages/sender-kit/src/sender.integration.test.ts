/**
 * The sender service against a private nats-server and redis-server, with the configuration in
 * Redis as config-sync writes it and a real HTTP sink as the webhook destination.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { connectBus, createPublisher, provision, type BusConnection, type Publisher } from '@nm/bus';
import { WebhookSender } from '@nm/channels';
import { allConsumers, allStreams, streams, subjects, type DeadLetter, type HistoryRecord, type Notification } from '@nm/contracts';
import { ConfigStoreWriter, SecretBox } from '@nm/config-store';
import { createRuntime, type Runtime } from '@nm/service-kit';
import { createLogger } from '@nm/telemetry';
import { startNats, startRedis, startWebhookSink, waitFor, type PrivateNats, type PrivateRedis, type WebhookSink } from '@nm/testing';
import { Redis } from 'ioredis';
import { deliveredKeys } from './delivered.store.js';
import { startSender } from './sender.runner.js';
import type { SenderHandle } from './sender.types.js';

const SECRET_KEY = 'integration-test-secret-key';
const MAX_ATTEMPTS = 5;
const TENANT = 'team-a';

function receiver(name: string, spec: Record<string, unknown>): { kind: 'Receiver'; name: string; body: unknown } {
  return {
    kind: 'Receiver',
    name,
    body: {
      apiVersion: 'notification.kubesphere.io/v2beta2',
      kind: 'Receiver',
      metadata: { name, labels: { type: 'tenant', namespace: TENANT } },
      spec,
    },
  };
}

let seq = 0;
function notification(receiverName = 'ops'): Notification {
  seq += 1;
  const id = `it-${Date.now().toString(36)}-${seq}`;
  return {
    version: 1,
    id,
    createdAt: new Date().toISOString(),
    receiver: { name: receiverName, channel: 'webhook', tenant: TENANT },
    groupKey: '{}:{alertname="KubePodCrashLooping", namespace="team-a"}',
    groupLabels: { alertname: 'KubePodCrashLooping', namespace: TENANT },
    alerts: [1, 2].map((i) => ({
      id: `${id}-a${i}`,
      status: 'firing' as const,
      labels: { alertname: 'KubePodCrashLooping', namespace: TENANT, pod: `web-${i}` },
      annotations: { message: `web-${i} is restarting` },
      startsAt: '2024-05-14T09:59:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph',
      fingerprint: `00000000000000a${i}`,
      receivedAt: new Date().toISOString(),
    })),
    part: { index: 0, count: 1 },
    externalURL: 'http://alertmanager:9093',
    source: 'alertmanager-webhook',
  };
}

describe('sender service on real NATS and Redis', () => {
  let nats: PrivateNats;
  let redisServer: PrivateRedis;
  let redis: Redis;
  let sink: WebhookSink;
  let rt: Runtime;
  let bus: BusConnection;
  let publisher: Publisher;
  let sender: SenderHandle;
  let webhook: WebhookSender;
  /** Statuses the sink answers per notification id (Idempotency-Key), in order; then 200. */
  const script = new Map<string, number[]>();

  const requestsFor = (id: string): WebhookSink['requests'] => sink.requests.filter((r) => r.headers['idempotency-key'] === id);

  async function streamMessages<T>(stream: string, subject: string): Promise<T[]> {
    const info = await bus.jsm.streams.info(stream);
    const out: T[] = [];
    for (let s = info.state.first_seq; s <= info.state.last_seq && info.state.messages > 0; s++) {
      const m = await bus.jsm.streams.getMessage(stream, { seq: s }).catch(() => undefined);
      if (m && m.subject === subject) out.push(m.json<T>());
    }
    return out;
  }
  const historyOf = async (id: string): Promise<HistoryRecord[]> =>
    (await streamMessages<HistoryRecord>(streams.history.name, subjects.history(TENANT, 'webhook'))).filter((r) => r.notificationId === id);
  const deadLettersOf = async (id: string): Promise<DeadLetter[]> =>
    (await streamMessages<DeadLetter>(streams.dlq.name, subjects.dlq('sender-webhook'))).filter((d) => (d.payload as Notification).id === id);
  const drained = async (): Promise<boolean> => {
    const c = await bus.jsm.consumers.info(streams.notify.name, 'sender-webhook');
    return c.num_pending === 0 && c.num_ack_pending === 0;
  };
  const counter = async (result: string): Promise<number> => {
    const metric = await rt.metrics.registry.getSingleMetric('nm_notifications_total')?.get();
    return metric?.values.find((v) => v.labels['result'] === result && v.labels['channel'] === 'webhook')?.value ?? 0;
  };
  const publish = (n: Notification, msgId = `notify-${n.id}`): Promise<unknown> => publisher.publish(subjects.notify('webhook'), n, { msgId });

  beforeAll(async () => {
    [nats, redisServer, sink] = await Promise.all([startNats(), startRedis(), startWebhookSink()]);
    sink.respondWith((req) => {
      const id = req.headers['idempotency-key'];
      const statuses = typeof id === 'string' ? script.get(id) : undefined;
      const status = statuses?.shift();
      return status === undefined ? undefined : { status, body: status >= 400 ? '{"error":"scripted"}' : '{}' };
    });

    redis = new Redis(redisServer.url);
    await new ConfigStoreWriter(redis, new SecretBox(SECRET_KEY)).replaceAll({
      objects: [
        receiver('ops', { webhook: { url: `${sink.url}/alerts` } }),
        receiver('muted', { webhook: { url: `${sink.url}/muted`, enabled: false } }),
        receiver('mail-only', { email: { to: ['a@example.com'] } }),
      ],
      secrets: [],
      problems: [],
    });

    bus = await connectBus({ url: nats.url, name: 'sender-it', logger: createLogger('test', 'silent') });
    await provision(bus.jsm, { streams: allStreams, consumers: allConsumers });
    publisher = createPublisher(bus);

    rt = createRuntime({ service: 'sender-webhook', natsUrl: nats.url, redisUrl: redisServer.url, secretKey: SECRET_KEY, logLevel: 'silent' });
    await waitFor('config loaded', () => rt.config.isLoaded());
    webhook = new WebhookSender({ retry: { attempts: 1 } });
    sender = await startSender(
      rt,
      { sender: webhook, targetOf: (job) => ({ url: job.section['url'] as string }) },
      { maxAttempts: MAX_ATTEMPTS, backoffBaseMs: 50, backoffMaxMs: 200 },
    );
  }, 60_000);

  afterAll(async () => {
    await sender?.stop();
    webhook?.close();
    await rt?.close();
    await bus?.close();
    redis?.disconnect();
    await sink?.close();
    await nats?.stop();
    await redisServer?.stop();
  });

  beforeEach(() => script.clear());

  it('delivers a notification once, with the v4 webhook body, and records it in history', async () => {
    const n = notification();
    await publish(n);
    const [req] = await waitFor('webhook request', () => (requestsFor(n.id).length > 0 ? requestsFor(n.id) : undefined));
    expect(req!.path).toBe('/alerts');
    expect(req!.headers['content-type']).toBe('application/json');
    const body = req!.body as { alerts: { notificationTime: string }[] };
    const notificationTime = body.alerts[0]!.notificationTime;
    expect(new Date(notificationTime).toISOString()).toBe(notificationTime);
    expect(body).toEqual({
      receiver: 'ops',
      status: 'firing',
      alerts: n.alerts.map((a) => ({
        id: a.id,
        status: 'firing',
        // notification-manager (2.5 and later) labels every delivered alert with its Receiver's name
        labels: { ...a.labels, receiver: 'ops' },
        annotations: a.annotations,
        startsAt: a.startsAt,
        endsAt: a.endsAt,
        generatorURL: 'http://prometheus:9090/graph',
        fingerprint: a.fingerprint,
        notificationTime,
      })),
      groupLabels: { alertname: 'KubePodCrashLooping', namespace: TENANT },
      commonLabels: { alertname: 'KubePodCrashLooping', namespace: TENANT, receiver: 'ops' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      version: '4',
      groupKey: n.groupKey,
      truncatedAlerts: 0,
    });

    const history = await waitFor('history record', async () => ((await historyOf(n.id)).length > 0 ? historyOf(n.id) : undefined));
    expect(history).toEqual([
      {
        version: 1,
        notificationId: n.id,
        time: expect.any(String),
        tenant: TENANT,
        receiver: 'ops',
        channel: 'webhook',
        destination: `${sink.url}/alerts`,
        alertIds: n.alerts.map((a) => a.id),
        fingerprints: ['00000000000000a1', '00000000000000a2'],
        result: 'delivered',
        attempt: 1,
        // no history webhook is configured here: the record names its alerts without carrying them
        // (with one, it carries them for the webhook: e2e/test/dropin-api.e2e.test.ts)
      },
    ]);
    await waitFor('acked', drained);
    expect(await redis.get(deliveredKeys.done(n.id))).toBe('1');
    expect(requestsFor(n.id)).toHaveLength(1);
  });

  it('delivers a notification published twice (different message ids) only once', async () => {
    const n = notification();
    const duplicatesBefore = await counter('duplicate');
    await Promise.all([publish(n, `first-${n.id}`), publish(n, `second-${n.id}`)]);
    await waitFor('both copies handled', async () => (await counter('duplicate')) === duplicatesBefore + 1 && (await drained()));
    expect(requestsFor(n.id)).toHaveLength(1);
    expect(await historyOf(n.id)).toHaveLength(1);
  });

  it('retries a sink answering 500 three times, then delivers exactly once', async () => {
    const n = notification();
    script.set(n.id, [500, 500, 500]);
    await publish(n);
    await waitFor('delivered after retries', () => requestsFor(n.id).some((r) => r.status === 200));
    await waitFor('acked', drained);
    expect(requestsFor(n.id).map((r) => r.status)).toEqual([500, 500, 500, 200]);
    const history = await waitFor('history', async () => ((await historyOf(n.id)).length > 0 ? historyOf(n.id) : undefined));
    expect(history.map((h) => [h.result, h.attempt])).toEqual([['delivered', 4]]);
    expect(await deadLettersOf(n.id)).toEqual([]);
  });

  it('dead-letters a notification the sink rejects with 400, with a failed history record', async () => {
    const n = notification();
    script.set(n.id, [400]);
    await publish(n);
    const [dl] = await waitFor('dead letter', async () => ((await deadLettersOf(n.id)).length > 0 ? deadLettersOf(n.id) : undefined));
    expect(dl).toMatchObject({
      stage: 'sender-webhook',
      reason: 'permanent-error',
      code: 'webhook:http-400',
      error: 'webhook: 1 of 1 unit(s) failed: webhook answered HTTP 400: error scripted',
      subject: 'nm.notify.webhook',
      deliveries: 1,
      payload: n,
    });
    const history = await historyOf(n.id);
    expect(history.map((h) => [h.result, h.error, h.destination, h.attempt])).toEqual([
      ['failed', 'webhook answered HTTP 400: error scripted', `${sink.url}/alerts`, 1],
    ]);
    expect(requestsFor(n.id)).toHaveLength(1);
    expect(await redis.exists(deliveredKeys.done(n.id))).toBe(0);
  });

  it('dead-letters after the retry budget, recording the last attempt as failed', async () => {
    const n = notification();
    script.set(n.id, Array.from({ length: MAX_ATTEMPTS }, () => 503));
    await publish(n);
    const [dl] = await waitFor('dead letter', async () => ((await deadLettersOf(n.id)).length > 0 ? deadLettersOf(n.id) : undefined));
    expect(dl).toMatchObject({ reason: 'retries-exhausted', code: 'webhook:http-503', deliveries: MAX_ATTEMPTS });
    expect(requestsFor(n.id)).toHaveLength(MAX_ATTEMPTS);
    expect((await historyOf(n.id)).map((h) => [h.result, h.attempt])).toEqual([['failed', MAX_ATTEMPTS]]);
  });

  it('a notification delivered and recorded at the first try writes only its done mark to Redis', async () => {
    await waitFor('earlier work finished', drained);
    const calls = async (): Promise<{ sadd: number; hset: number; set: number }> => {
      const info = await redis.info('commandstats');
      const count = (cmd: string): number => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
      return { sadd: count('sadd'), hset: count('hset'), set: count('set') };
    };
    const before = await calls();
    const n = notification();
    await publish(n);
    await waitFor('marked delivered', async () => (await redis.get(deliveredKeys.done(n.id))) === '1');
    await waitFor('acked', drained);
    const after = await calls();
    // units and pending history are remembered only for an attempt that follows; none does
    expect({ sadd: after.sadd - before.sadd, hset: after.hset - before.hset }).toEqual({ sadd: 0, hset: 0 });
    expect(after.set - before.set).toBeGreaterThanOrEqual(2); // the lease, then the done mark
    expect(requestsFor(n.id)).toHaveLength(1);
    expect(await historyOf(n.id)).toHaveLength(1);
  });

  it('history that could not be published is published by the next attempt, which sends nothing again', async () => {
    await waitFor('earlier work finished', drained);
    await bus.jsm.streams.delete(streams.history.name);
    try {
      const n = notification();
      await publish(n);
      await waitFor('sent once', () => requestsFor(n.id).length === 1);
      // the first attempt failed on the history publish: its delivered unit and record are remembered
      await waitFor('unit remembered', async () => (await redis.sismember(deliveredKeys.units(n.id), 'webhook#0/1')) === 1);
      expect(await redis.hlen(deliveredKeys.history(n.id))).toBe(1);
      await provision(bus.jsm, { streams: allStreams, consumers: allConsumers });
      await waitFor('marked delivered', async () => (await redis.get(deliveredKeys.done(n.id))) === '1', 20_000);
      await waitFor('acked', drained);
      expect(requestsFor(n.id)).toHaveLength(1);
      expect((await historyOf(n.id)).map((h) => [h.result, h.attempt])).toEqual([['delivered', 1]]);
      expect(await redis.exists(deliveredKeys.units(n.id), deliveredKeys.history(n.id))).toBe(0);
    } finally {
      await provision(bus.jsm, { streams: allStreams, consumers: allConsumers });
    }
  }, 30_000);

  it('sends nothing again when every unit was delivered by an earlier attempt', async () => {
    const n = notification();
    await redis.sadd(deliveredKeys.units(n.id), 'webhook#0/1');
    await publish(n);
    await waitFor('marked delivered', async () => (await redis.get(deliveredKeys.done(n.id))) === '1');
    await waitFor('acked', drained);
    expect(requestsFor(n.id)).toHaveLength(0);
  });

  it('skips a disabled section and dead-letters unknown receivers and receivers without the channel', async () => {
    const skipped = async (): Promise<number> => {
      const m = await rt.metrics.registry.getSingleMetric('nm_notifications_skipped_total')?.get();
      return m?.values.find((v) => v.labels['reason'] === 'disabled')?.value ?? 0;
    };
    const before = await skipped();
    const muted = notification('muted');
    await publish(muted);
    await waitFor('skipped', async () => (await skipped()) === before + 1);
    expect(sink.requests.filter((r) => r.path === '/muted')).toHaveLength(0);

    const unknown = notification('nobody');
    const mailOnly = notification('mail-only');
    await Promise.all([publish(unknown), publish(mailOnly)]);
    const [a] = await waitFor('dead letter', async () => ((await deadLettersOf(unknown.id)).length > 0 ? deadLettersOf(unknown.id) : undefined));
    expect(a).toMatchObject({ reason: 'permanent-error', code: 'RECEIVER_NOT_FOUND', error: 'receiver "nobody" not found' });
    const [b] = await waitFor('dead letter', async () => ((await deadLettersOf(mailOnly.id)).length > 0 ? deadLettersOf(mailOnly.id) : undefined));
    expect(b).toMatchObject({ reason: 'permanent-error', code: 'RECEIVER_SECTION_MISSING', error: 'receiver "mail-only" has no webhook section' });
    expect((await historyOf(unknown.id)).map((h) => [h.result, h.destination])).toEqual([['failed', '']]);
  });

  // Last: it takes Redis away (and brings it back empty).
  it('an outage of Redis longer than the whole retry budget dead-letters nothing: waits are not attempts', async () => {
    const n = notification();
    await redisServer.kill9();
    await publish(n);
    // Old behaviour: 5 deliveries at 50–200 ms backoff spent the budget within a second or two.
    await new Promise((r) => setTimeout(r, 6000));
    expect(requestsFor(n.id)).toHaveLength(0);
    await redisServer.restart();
    await waitFor('delivered after Redis is back', () => requestsFor(n.id).length > 0, 60_000, 100);
    await waitFor('acked', drained, 30_000);
    expect(requestsFor(n.id)).toHaveLength(1);
    expect(await deadLettersOf(n.id)).toEqual([]);
    const [record] = await waitFor('history', async () => ((await historyOf(n.id)).length > 0 ? historyOf(n.id) : undefined));
    expect(record).toMatchObject({ result: 'delivered', attempt: 1 });
  }, 90_000);
});
