import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectBus, createPublisher, type BusConnection } from '@nm/bus';
import { streams, subjects, type HistoryRecord, type Notification } from '@nm/contracts';
import { ConfigStoreWriter, SecretBox } from '@nm/config-store';
import { emptySnapshot, receiverSection, type ConfigSnapshot, type Receiver } from '@nm/model';
import { RevisionCache, buildJob, type DeliveryJob } from '@nm/sender-kit';
import { createRuntime, type Runtime } from '@nm/service-kit';
import { createLogger } from '@nm/telemetry';
import { startNats, startRedis, startWebhookSink, waitFor, type PrivateNats, type PrivateRedis, type WebhookSink } from '@nm/testing';
import { Redis } from 'ioredis';
import { webhookService } from './service.js';
import { webhookTargetOf } from './webhook.target.js';

const TENANT = 'team-a';

function receiverOf(webhook: Record<string, unknown>): Receiver {
  return {
    apiVersion: 'notification.kubesphere.io/v2beta2',
    kind: 'Receiver',
    metadata: { name: 'ops', labels: { type: 'tenant', namespace: TENANT } },
    spec: { webhook },
  };
}

const notificationManager = {
  apiVersion: 'notification.kubesphere.io/v2beta2',
  kind: 'NotificationManager',
  metadata: { name: 'notification-manager' },
  spec: {
    defaultSecretNamespace: 'nm-system',
    receivers: {
      tenantKey: 'namespace',
      tenantReceiverSelector: { matchLabels: { type: 'tenant' } },
      options: { webhook: { notificationTimeout: 2 } },
    },
  },
} as const;

function notification(id: string): Notification {
  return {
    version: 1,
    id,
    createdAt: new Date().toISOString(),
    receiver: { name: 'ops', channel: 'webhook', tenant: TENANT },
    groupKey: '{}:{alertname="Watchdog"}',
    groupLabels: { alertname: 'Watchdog' },
    alerts: [
      {
        id: `${id}-a1`,
        status: 'firing',
        labels: { alertname: 'Watchdog' },
        annotations: {},
        startsAt: '2024-05-14T09:59:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: '00000000000000f1',
        receivedAt: new Date().toISOString(),
      },
    ],
    part: { index: 0, count: 1 },
    source: 'api',
  };
}

function jobFor(snapshot: ConfigSnapshot, receiver: Receiver): DeliveryJob {
  return buildJob(new RevisionCache().of(snapshot), {
    channel: 'webhook',
    notification: notification('n-job'),
    receiver,
    section: receiverSection(receiver, 'webhook')!,
    deliveredKeys: new Set(),
    attempt: 1,
    lastAttempt: false,
    signal: new AbortController().signal,
    logger: createLogger('test', 'silent'),
  });
}

describe('webhookTargetOf', () => {
  const snapshot: ConfigSnapshot = {
    ...emptySnapshot(3),
    notificationManager,
    secrets: {
      'nm-system/hook': { token: 'tok-1', password: 'pw', ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM' },
      'other/hook': { token: 'tok-2' },
    },
  };

  it('resolves every credential of httpConfig and takes the timeout from options.webhook', () => {
    const ref = (key: string, namespace?: string): unknown => ({ valueFrom: { secretKeyRef: { name: 'hook', key, ...(namespace ? { namespace } : {}) } } });
    const receiver = receiverOf({
      service: { namespace: 'monitoring', name: 'adapter', port: 8080, path: 'alerts' },
      method: 'PUT',
      headers: { 'X-Team': 'a' },
      httpConfig: {
        bearerToken: ref('token', 'other'),
        basicAuth: { username: 'u', password: ref('password') },
        proxyUrl: 'http://proxy:3128',
        tlsConfig: { rootCA: ref('ca'), clientCertificate: { cert: ref('cert'), key: ref('key') }, serverName: 'adapter', insecureSkipVerify: false },
      },
    });
    expect(webhookTargetOf(jobFor(snapshot, receiver))).toEqual({
      url: undefined,
      service: { namespace: 'monitoring', name: 'adapter', port: 8080, path: 'alerts' },
      method: 'PUT',
      headers: { 'X-Team': 'a' },
      timeoutMs: 2000,
      httpConfig: {
        bearerToken: 'tok-2',
        basicAuth: { username: 'u', password: 'pw' },
        proxyUrl: 'http://proxy:3128',
        tlsConfig: { rootCA: 'CA-PEM', clientCertificate: { cert: 'CERT-PEM', key: 'KEY-PEM' }, serverName: 'adapter', insecureSkipVerify: false },
      },
    });
  });

  it('defaults the timeout to 5 s and refuses a client certificate without its key', () => {
    const plain = { ...emptySnapshot(1) };
    expect(webhookTargetOf(jobFor(plain, receiverOf({ url: 'http://hook' })))).toEqual({
      url: 'http://hook',
      service: undefined,
      method: undefined,
      headers: undefined,
      timeoutMs: 5000,
    });
    const half = receiverOf({ url: 'https://hook', httpConfig: { tlsConfig: { clientCertificate: { cert: { value: 'CERT' } } } } });
    expect(() => webhookTargetOf(jobFor(plain, half))).toThrow('receiver ops: tlsConfig.clientCertificate needs both cert and key');
  });
});

/** Private NATS, Redis and webhook sink, a stored configuration, and the webhook service running on them. */
interface ServiceFixture {
  nats: PrivateNats;
  redisServer: PrivateRedis;
  redis: Redis;
  sink: WebhookSink;
  writer: ConfigStoreWriter;
  rt: Runtime;
  bus: BusConnection;
  stop(): Promise<void>;
}

async function startService(secretKey: string, configure: (f: Pick<ServiceFixture, 'sink' | 'writer'>) => Promise<unknown>, env: Record<string, string>): Promise<ServiceFixture> {
  const [nats, redisServer, sink] = await Promise.all([startNats(), startRedis(), startWebhookSink()]);
  const redis = new Redis(redisServer.url);
  const writer = new ConfigStoreWriter(redis, new SecretBox(secretKey));
  await configure({ sink, writer });
  const rt = createRuntime({ service: 'sender-webhook', natsUrl: nats.url, redisUrl: redisServer.url, secretKey, logLevel: 'silent' });
  await waitFor('config loaded', () => rt.config.isLoaded());
  await webhookService.start(rt, webhookService.env.parse(env));
  const bus = await connectBus({ url: nats.url, name: 'sender-webhook-test', logger: createLogger('test', 'silent') });
  return {
    nats,
    redisServer,
    redis,
    sink,
    writer,
    rt,
    bus,
    stop: async () => {
      await rt.close();
      await bus.close();
      redis.disconnect();
      await sink.close();
      await nats.stop();
      await redisServer.stop();
    },
  };
}

describe('webhookService', () => {
  const SECRET_KEY = 'sender-webhook-test-key';
  let fx: ServiceFixture;
  let sink: WebhookSink;
  let bus: BusConnection;

  beforeAll(async () => {
    fx = await startService(
      SECRET_KEY,
      ({ sink, writer }) =>
        writer.replaceAll({
          objects: [
            {
              kind: 'NotificationManager',
              name: 'notification-manager',
              body: { ...notificationManager, spec: { ...notificationManager.spec, history: { webhook: { url: `${sink.url}/history` } } } },
            },
            {
              kind: 'Receiver',
              name: 'ops',
              body: receiverOf({
                url: `${sink.url}/hooks/secret-path?access_token=abc`,
                httpConfig: { bearerToken: { valueFrom: { secretKeyRef: { name: 'hook', key: 'token' } } } },
              }),
            },
          ],
          secrets: [{ namespace: 'nm-system', name: 'hook', data: { token: 'from-secret' } }],
          problems: [],
        }),
      { NM_SENDER_MAX_ATTEMPTS: '3', NM_HISTORY_WEBHOOK_RETRY_DELAY: '300ms' },
    );
    ({ sink, bus } = fx);
  }, 60_000);

  afterAll(() => fx?.stop());

  it('delivers with the Secret-backed bearer token and records a secret-free destination', async () => {
    await createPublisher(bus).publish(subjects.notify('webhook'), notification('n-app-1'), { msgId: 'n-app-1' });
    const [req] = await waitFor('request', () => (sink.requests.some((r) => r.path !== '/history') ? sink.requests.filter((r) => r.path !== '/history') : undefined));
    expect(req!.path).toBe('/hooks/secret-path?access_token=abc');
    expect(req!.headers.authorization).toBe('Bearer from-secret');
    expect(req!.headers['idempotency-key']).toBe('n-app-1');
    expect((req!.body as { receiver: string }).receiver).toBe('ops');

    const record = await waitFor('history', async () => {
      const m = await bus.jsm.streams.getMessage(streams.history.name, { last_by_subj: subjects.history(TENANT, 'webhook') }).catch(() => undefined);
      return m?.json<HistoryRecord>();
    });
    expect(record).toMatchObject({ notificationId: 'n-app-1', result: 'delivered', destination: `${sink.url}/hooks/***` });
    expect(JSON.stringify(record)).not.toMatch(/from-secret|access_token|secret-path/);
  });

  it('posts the delivered alert to the history webhook as notification-manager\'s Data JSON', async () => {
    const [post] = await waitFor('history webhook', () => {
      const found = sink.accepted('/history').filter((r) => JSON.stringify(r.body).includes('n-app-1-a1'));
      return found.length > 0 ? found : undefined;
    });
    expect(post!.body).toEqual({
      alerts: [
        {
          id: 'n-app-1-a1',
          status: 'firing',
          labels: { alertname: 'Watchdog' },
          annotations: {},
          startsAt: '2024-05-14T09:59:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          notificationTime: expect.any(String),
          receiver: { ops: { webhook: `${sink.url}/hooks/***` } },
        },
      ],
      groupLabels: null,
      commonLabels: null,
      commonAnnotations: null,
    });
  });

  it('delivers an API send to the Receiver it carries, answers on the outcome subject, and keeps it out of the history webhook', async () => {
    const box = new SecretBox(SECRET_KEY);
    const inline = receiverOf({ url: `${sink.url}/inline`, httpConfig: { bearerToken: { value: 'inline-token' } } });
    const n: Notification = {
      ...notification('n-api-1'),
      receiver: { name: 'ops', channel: 'webhook', tenant: TENANT },
      api: { kind: 'verify', requestId: 'req-0123456789', deadline: new Date(Date.now() + 30_000).toISOString(), maxAttempts: 3, sealed: box.seal(JSON.stringify({ receiver: inline })) },
    };
    const outcomes: unknown[] = [];
    const sub = bus.nc.subscribe(subjects.apiOutcome('req-0123456789'), { callback: (_e, m) => void outcomes.push(JSON.parse(m.string())) });
    await bus.nc.flush();
    await createPublisher(bus).publish(subjects.notify('webhook'), n, { msgId: n.id });
    await waitFor('outcome', () => outcomes.length > 0);
    sub.unsubscribe();
    expect(outcomes[0]).toMatchObject({ requestId: 'req-0123456789', notificationId: 'n-api-1', result: 'delivered' });
    const [req] = sink.requests.filter((r) => r.path === '/inline');
    expect(req!.headers.authorization).toBe('Bearer inline-token');
    expect((req!.body as { alerts: Array<{ labels: Record<string, string> }> }).alerts[0]!.labels['receiver']).toBe('ops');
    // its history record is marked, and the history webhook leaves it out
    const record = await waitFor('history', async () => {
      const m = await bus.jsm.streams.getMessage(streams.history.name, { last_by_subj: subjects.history(TENANT, 'webhook') }).catch(() => undefined);
      const r = m?.json<HistoryRecord>();
      return r?.notificationId === 'n-api-1' ? r : undefined;
    });
    expect(record).toMatchObject({ api: 'verify', result: 'delivered' });
    expect(JSON.stringify(record)).not.toContain('inline-token');
    await new Promise((r) => setTimeout(r, 1000));
    expect(sink.requests.filter((r) => r.path === '/history' && JSON.stringify(r.body).includes('n-api-1'))).toHaveLength(0);
  });

  it('answers an API send past its deadline with a failure and sends nothing', async () => {
    const box = new SecretBox(SECRET_KEY);
    const n: Notification = {
      ...notification('n-api-late'),
      api: { kind: 'verify', requestId: 'req-late-0123', deadline: new Date(Date.now() - 1000).toISOString(), maxAttempts: 3, sealed: box.seal(JSON.stringify({ receiver: receiverOf({ url: `${sink.url}/late` }) })) },
    };
    const outcomes: Array<{ result: string; error?: string }> = [];
    const sub = bus.nc.subscribe(subjects.apiOutcome('req-late-0123'), { callback: (_e, m) => void outcomes.push(JSON.parse(m.string()) as { result: string }) });
    await bus.nc.flush();
    await createPublisher(bus).publish(subjects.notify('webhook'), n, { msgId: n.id });
    await waitFor('outcome', () => outcomes.length > 0);
    sub.unsubscribe();
    expect(outcomes[0]!.result).toBe('failed');
    expect(outcomes[0]!.error).toContain('deadline');
    expect(sink.requests.filter((r) => r.path === '/late')).toHaveLength(0);
  });

  it('retries the history webhook four times in all, then dead-letters the record', async () => {
    sink.respondWith((r) => (r.path === '/history' && JSON.stringify(r.body).includes('n-hist-fail') ? { status: 503 } : undefined));
    await createPublisher(bus).publish(subjects.notify('webhook'), notification('n-hist-fail'), { msgId: 'n-hist-fail' });
    const attempts = (): number => sink.requests.filter((r) => r.path === '/history' && JSON.stringify(r.body).includes('n-hist-fail')).length;
    const dead = async () => bus.jsm.streams.getMessage(streams.dlq.name, { last_by_subj: subjects.dlq('history-webhook') }).then((m) => m ?? undefined, () => undefined);
    await waitFor('dead letter', async () => (await dead()) !== undefined, 20_000);
    expect(attempts()).toBe(4);
    expect((await dead())!.json<{ reason: string; stage: string }>()).toMatchObject({ stage: 'history-webhook', reason: 'retries-exhausted' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(attempts()).toBe(4);
    sink.respondWith(undefined);
  }, 40_000);
});

describe('the history webhook consumer follows the configuration', () => {
  const SECRET_KEY = 'sender-webhook-history-pause-key';
  let fx: ServiceFixture;

  const configureWith = ({ sink, writer }: Pick<ServiceFixture, 'sink' | 'writer'>, history: boolean): Promise<unknown> =>
    writer.replaceAll({
      objects: [
        {
          kind: 'NotificationManager',
          name: 'notification-manager',
          body: history ? { ...notificationManager, spec: { ...notificationManager.spec, history: { webhook: { url: `${sink.url}/history` } } } } : notificationManager,
        },
        { kind: 'Receiver', name: 'ops', body: receiverOf({ url: `${sink.url}/hooks` }) },
      ],
      secrets: [],
      problems: [],
    });
  const configure = (history: boolean): Promise<unknown> => configureWith(fx, history);
  const consuming = async (): Promise<number | undefined> =>
    (await fx.rt.metrics.registry.getSingleMetric('nm_history_webhook_consuming')?.get())?.values[0]?.value;
  const historyConsumer = () => fx.bus.jsm.consumers.info(streams.history.name, 'history-webhook');
  /** Publishes a notification and waits until its delivery record is in the history stream. */
  const deliver = async (id: string): Promise<void> => {
    await createPublisher(fx.bus).publish(subjects.notify('webhook'), notification(id), { msgId: id });
    await waitFor(`the record of ${id}`, async () => {
      const m = await fx.bus.jsm.streams.getMessage(streams.history.name, { last_by_subj: subjects.history(TENANT, 'webhook') }).catch(() => undefined);
      return m?.json<HistoryRecord>().notificationId === id;
    });
  };
  const historyPosts = (id: string): number => fx.sink.accepted('/history').filter((r) => JSON.stringify(r.body).includes(`${id}-a1`)).length;

  beforeAll(async () => {
    fx = await startService(SECRET_KEY, (f) => configureWith(f, false), { NM_HISTORY_WEBHOOK_RETRY_DELAY: '300ms' });
  }, 60_000);

  afterAll(() => fx?.stop());

  it('reads no delivery record while no history webhook is configured, posts once one is, and stops again when it is removed', async () => {
    // none configured: the record is published, and nobody reads it
    expect(await consuming()).toBe(0);
    await deliver('n-pause-1');
    await new Promise((r) => setTimeout(r, 300));
    let info = await historyConsumer();
    expect(info.delivered.stream_seq).toBe(0);
    expect(info.num_pending).toBe(1);

    // configured: the consumer resumes; the paused record (no alerts: none was configured) is acked unposted
    await configure(true);
    await waitFor('the consumer running', async () => (await consuming()) === 1);
    await deliver('n-pause-2');
    await waitFor('the history post of n-pause-2', () => historyPosts('n-pause-2') === 1);
    await waitFor('every record read', async () => (await historyConsumer()).num_pending + (await historyConsumer()).num_ack_pending === 0);
    expect(historyPosts('n-pause-1')).toBe(0);

    // removed again: records wait unread
    await configure(false);
    await waitFor('the consumer stopped', async () => (await consuming()) === 0);
    await deliver('n-pause-3');
    await new Promise((r) => setTimeout(r, 300));
    info = await historyConsumer();
    // not acknowledged (a pull sent before the stop may still have delivered it to the closed subscription)
    expect(info.num_pending + info.num_ack_pending).toBe(1);
    expect(historyPosts('n-pause-3')).toBe(0);
    expect(fx.sink.accepted('/hooks')).toHaveLength(3); // every notification was delivered all along
  }, 40_000);
});
