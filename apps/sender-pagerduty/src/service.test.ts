import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectBus, createPublisher, type BusConnection } from '@nm/bus';
import { streams, subjects, type Alert, type HistoryRecord, type Notification } from '@nm/contracts';
import { ConfigStoreWriter, SecretBox } from '@nm/config-store';
import { createRuntime, type Runtime } from '@nm/service-kit';
import { createLogger } from '@nm/telemetry';
import { startNats, startRedis, waitFor, type PrivateNats, type PrivateRedis } from '@nm/testing';
import { startVendorFake, type VendorFake } from '@nm/testing/vendor-fake';
import { Redis } from 'ioredis';
import { pagerdutyService } from './service.js';

const TENANT = 'team-a';
const RK = 'R0UT1NGKEY0000000000000000000001';
const GROUP = 'ops/pagerduty:{alertname="KubeNodeNotReady"}';

function notification(id: string, status: Alert['status']): Notification {
  return {
    version: 1,
    id,
    createdAt: new Date().toISOString(),
    receiver: { name: 'ops', channel: 'pagerduty', tenant: TENANT },
    groupKey: GROUP,
    groupLabels: { alertname: 'KubeNodeNotReady' },
    alerts: [
      {
        id: `${id}-a1`,
        status,
        labels: { alertname: 'KubeNodeNotReady', severity: 'critical', node: 'node-1' },
        annotations: { summary: 'node-1 is not ready' },
        startsAt: '2024-05-14T09:59:00Z',
        endsAt: status === 'resolved' ? '2024-05-14T10:09:00Z' : '0001-01-01T00:00:00Z',
        fingerprint: '00000000000000f1',
        receivedAt: new Date().toISOString(),
      },
    ],
    part: { index: 0, count: 1 },
    source: 'api',
  };
}

describe('pagerdutyService', () => {
  const SECRET_KEY = 'sender-pagerduty-test-key';
  let nats: PrivateNats;
  let redisServer: PrivateRedis;
  let redis: Redis;
  let fake: VendorFake;
  let rt: Runtime;
  let bus: BusConnection;

  beforeAll(async () => {
    [nats, redisServer, fake] = await Promise.all([startNats(), startRedis(), startVendorFake({ pagerduty: { routingKeys: [RK] } })]);
    redis = new Redis(redisServer.url);
    await new ConfigStoreWriter(redis, new SecretBox(SECRET_KEY)).replaceAll({
      objects: [
        {
          kind: 'NotificationManager',
          name: 'notification-manager',
          body: {
            apiVersion: 'notification.kubesphere.io/v2beta2',
            kind: 'NotificationManager',
            metadata: { name: 'notification-manager' },
            spec: { defaultSecretNamespace: 'nm-system', receivers: { tenantKey: 'namespace', tenantReceiverSelector: { matchLabels: { type: 'tenant' } } } },
          },
        },
        {
          kind: 'Receiver',
          name: 'ops',
          body: {
            apiVersion: 'notification.kubesphere.io/v2beta2',
            kind: 'Receiver',
            metadata: { name: 'ops', labels: { type: 'tenant', namespace: TENANT } },
            spec: { pagerduty: { routingKey: { valueFrom: { secretKeyRef: { name: 'pd', key: 'routingKey' } } }, component: 'kubelet' } },
          },
        },
      ],
      secrets: [{ namespace: 'nm-system', name: 'pd', data: { routingKey: RK } }],
      problems: [],
    });
    rt = createRuntime({ service: 'sender-pagerduty', natsUrl: nats.url, redisUrl: redisServer.url, secretKey: SECRET_KEY, logLevel: 'silent' });
    await waitFor('config loaded', () => rt.config.isLoaded());
    await pagerdutyService.start(rt, pagerdutyService.env.parse({ NM_PAGERDUTY_API_URL: fake.urls.pagerdutyApi, NM_SENDER_MAX_ATTEMPTS: '3' }));
    bus = await connectBus({ url: nats.url, name: 'sender-pagerduty-test', logger: createLogger('test', 'silent') });
  }, 60_000);

  afterAll(async () => {
    await rt?.close();
    await bus?.close();
    redis?.disconnect();
    await fake?.close();
    await nats?.stop();
    await redisServer?.stop();
  });

  const history = async (): Promise<HistoryRecord | undefined> => {
    const m = await bus.jsm.streams.getMessage(streams.history.name, { last_by_subj: subjects.history(TENANT, 'pagerduty') }).catch(() => undefined);
    return m?.json<HistoryRecord>();
  };

  it('triggers once for a notification published twice, then resolves the same incident', async () => {
    const pub = createPublisher(bus);
    await pub.publish(subjects.notify('pagerduty'), notification('n-fire', 'firing'), { msgId: 'n-fire' });
    await waitFor('trigger', () => (fake.requestsTo('pagerduty.enqueue').length === 1 ? true : undefined));
    await waitFor('history of the trigger', async () => ((await history())?.notificationId === 'n-fire' ? true : undefined));
    // the same notification again (a republished copy: another message id, the same notification id)
    await pub.publish(subjects.notify('pagerduty'), notification('n-fire', 'firing'), { msgId: 'n-fire-copy' });
    await pub.publish(subjects.notify('pagerduty'), notification('n-resolve', 'resolved'), { msgId: 'n-resolve' });
    await waitFor('resolve', () => (fake.requestsTo('pagerduty.enqueue').length >= 2 ? true : undefined));
    await waitFor('history of the resolve', async () => ((await history())?.notificationId === 'n-resolve' ? true : undefined));

    await new Promise((r) => setTimeout(r, 1000)); // time for a second trigger, were one coming
    const events = fake.requestsTo('pagerduty.enqueue').map((r) => r.body as { event_action: string; dedup_key: string; payload?: { severity: string; component: string } });
    expect(events.map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', GROUP],
      ['resolve', GROUP],
    ]);
    expect(events[0]!.payload).toMatchObject({ severity: 'critical', component: 'kubelet', summary: expect.stringContaining('node-1 is not ready') });
    expect(fake.incidents('pagerduty')).toEqual([expect.objectContaining({ key: GROUP, status: 'closed', events: 1 })]);
    const record = await history();
    expect(record).toMatchObject({ notificationId: 'n-resolve', result: 'delivered' });
    expect(JSON.stringify(record)).not.toContain(RK);
  });
});
