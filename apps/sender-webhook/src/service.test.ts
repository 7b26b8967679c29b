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

describe('webhookService', () => {
  const SECRET_KEY = 'sender-webhook-test-key';
  let nats: PrivateNats;
  let redisServer: PrivateRedis;
  let redis: Redis;
  let sink: WebhookSink;
  let rt: Runtime;
  let bus: BusConnection;

  beforeAll(async () => {
    [nats, redisServer, sink] = await Promise.all([startNats(), startRedis(), startWebhookSink()]);
    redis = new Redis(redisServer.url);
    await new ConfigStoreWriter(redis, new SecretBox(SECRET_KEY)).replaceAll({
      objects: [
        { kind: 'NotificationManager', name: 'notification-manager', body: notificationManager },
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
    });
    rt = createRuntime({ service: 'sender-webhook', natsUrl: nats.url, redisUrl: redisServer.url, secretKey: SECRET_KEY, logLevel: 'silent' });
    await waitFor('config loaded', () => rt.config.isLoaded());
    await webhookService.start(rt, webhookService.env.parse({ NM_SENDER_MAX_ATTEMPTS: '3' }));
    bus = await connectBus({ url: nats.url, name: 'sender-webhook-test', logger: createLogger('test', 'silent') });
  }, 60_000);

  afterAll(async () => {
    await rt?.close();
    await bus?.close();
    redis?.disconnect();
    await sink?.close();
    await nats?.stop();
    await redisServer?.stop();
  });

  it('delivers with the Secret-backed bearer token and records a secret-free destination', async () => {
    await createPublisher(bus).publish(subjects.notify('webhook'), notification('n-app-1'), { msgId: 'n-app-1' });
    const [req] = await waitFor('request', () => (sink.requests.length > 0 ? sink.requests : undefined));
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
});
