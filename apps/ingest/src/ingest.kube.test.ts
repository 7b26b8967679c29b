import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { PAYLOAD_VERSION, streams, subjects, type DeadLetter, type HistoryRecord } from '@nm/contracts';
import { keys } from '@nm/config-store';
import { createRuntime, type Runtime } from '@nm/service-kit';
import { createLogger } from '@nm/telemetry';
import { startFakeKube, startNats, startRedis, waitFor, writeKubeconfig, type FakeKube, type KubeObject, type PrivateNats, type PrivateRedis } from '@nm/testing';
import { startIngest } from './service.js';

/**
 * Kubernetes API authorization as ingest runs it: startIngest over a real runtime (nats-server,
 * redis-server), the Kubernetes client asking the fake API server's TokenReview and
 * SubjectAccessReview, RBAC as Roles and bindings stored in the fake.
 */

const RBAC = 'rbac.authorization.k8s.io/v1';
const INGEST_SA_TOKEN = 'ingest-service-account-token';
const NM = 'notification.kubesphere.io';
const logger = createLogger('ingest-kube-test', 'silent');

const rbacObjects: KubeObject[] = [
  {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'notification-tenant' },
    rules: [
      { apiGroups: [NM], resources: ['notificationhistories'], verbs: ['list'] },
      { apiGroups: [NM], resources: ['receivers'], verbs: ['get'] },
    ],
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'notification-admin' },
    rules: [
      { apiGroups: [NM], resources: ['notificationhistories', 'deadletters'], verbs: ['get', 'list'] },
      { apiGroups: [NM], resources: ['deadletters/replay'], verbs: ['create'] },
      { apiGroups: [NM], resources: ['receivers'], verbs: ['get'] },
    ],
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'impersonator' },
    rules: [{ apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] }],
  },
  {
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name: 'alice-notifications', namespace: 'team-a' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'notification-tenant' },
    subjects: [{ kind: 'User', name: 'alice' }],
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'ops-notifications' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'notification-admin' },
    subjects: [{ kind: 'Group', name: 'ops' }],
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'console-impersonates' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'impersonator' },
    subjects: [{ kind: 'ServiceAccount', name: 'ks-console', namespace: 'kubesphere-system' }],
  },
];

const historyRecord = (tenant: string, n: number): HistoryRecord => ({
  version: PAYLOAD_VERSION,
  notificationId: `notif-${n}`,
  time: new Date(Date.UTC(2026, 10, 22, 10, 0, n)).toISOString(),
  tenant,
  receiver: `${tenant}-hook`,
  channel: 'webhook',
  destination: 'http://127.0.0.1/hook',
  alertIds: [`a-${n}`],
  fingerprints: ['0123456789abcdef'],
  result: 'delivered',
  attempt: 1,
});

describe('ingest API authorization in Kubernetes mode (TokenReview, SubjectAccessReview)', () => {
  let nats: PrivateNats;
  let redis: PrivateRedis;
  let kube: FakeKube;
  let kubeconfig: string;
  let rt: Runtime;
  let svc: { port: number; adminPort?: number; stop(): Promise<void> };
  let admin: string;
  let ingest: string;
  let dlqSeq: number;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    kube = await startFakeKube({
      token: INGEST_SA_TOKEN,
      users: {
        'alice-token': { username: 'alice' },
        'ops-token': { username: 'olga', groups: ['ops'] },
        'console-token': { username: 'system:serviceaccount:kubesphere-system:ks-console' },
        'nobody-token': { username: 'mallory' },
      },
    });
    for (const o of rbacObjects) kube.apply(o);
    kubeconfig = writeKubeconfig({ server: kube.url, token: INGEST_SA_TOKEN });
    rt = createRuntime({ service: 'ingest', natsUrl: nats.url, redisUrl: redis.url, secretKey: 'ingest-kube-test-secret', logger });
    const bus = await rt.connected;
    await rt.redis.set(keys.revision, '1');
    let n = 0;
    for (const tenant of ['team-a', 'team-b', 'team-a']) {
      n += 1;
      await rt.publisher.publish(subjects.history(tenant, 'webhook'), historyRecord(tenant, n), { msgId: `h-${n}` });
    }
    const dl: DeadLetter = {
      version: PAYLOAD_VERSION,
      time: new Date().toISOString(),
      stage: 'router',
      reason: 'retries-exhausted',
      error: 'boom',
      subject: subjects.alertsAdmitted,
      deliveries: 3,
      payload: { marker: 'dead-letter-payload' },
    };
    dlqSeq = (await rt.publisher.publish(subjects.dlq('router'), dl, { msgId: 'dl-1' })).seq;
    expect((await bus.jsm.streams.info(streams.history.name)).state.messages).toBe(3);
    svc = await startIngest(rt, {
      port: 0,
      host: '127.0.0.1',
      adminPort: 0,
      readyRequires: [],
      security: { apiAuth: 'kubernetes', kubeconfig, ingestTokens: ['alertmanager-token'], authCacheTtlMs: 2000 },
    });
    ingest = `http://127.0.0.1:${svc.port}`;
    admin = `http://127.0.0.1:${svc.adminPort!}`;
  });
  afterAll(async () => {
    await svc?.stop();
    await rt?.close();
    await kube?.close();
    await nats?.stop();
    await redis?.stop();
    if (kubeconfig) rmSync(dirname(kubeconfig), { recursive: true, force: true });
  });

  const get = async (path: string, token?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: { items?: Array<Record<string, unknown>>; Message?: string; payload?: unknown } }> => {
    const r = await fetch(`${admin}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
    return { status: r.status, body: (await r.json()) as { items?: Array<Record<string, unknown>> } };
  };
  const tenantsOf = (body: { items?: Array<Record<string, unknown>> }): unknown[] => (body.items ?? []).map((i) => i['tenant']);

  it('a namespace tenant reads only its own history; the DLQ is refused to it', async () => {
    const own = await get('/api/v2/history?tenant=team-a', 'alice-token');
    expect(own.status).toBe(200);
    expect(tenantsOf(own.body)).toEqual(['team-a', 'team-a']);
    expect((await get('/api/v2/history?tenant=team-b', 'alice-token')).status).toBe(403);
    expect((await get('/api/v2/dlq', 'alice-token')).status).toBe(403);
    expect((await get(`/api/v2/dlq/${dlqSeq}`, 'alice-token')).status).toBe(403);
    expect((await get('/api/v2/history?tenant=team-a', 'nobody-token')).status).toBe(403);
    expect((await get('/api/v2/history?tenant=team-a')).status).toBe(401);
    expect((await get('/api/v2/history?tenant=team-a', 'forged-token')).status).toBe(401);

    // what the API server was asked: the token as a TokenReview, then a SubjectAccessReview in the tenant's namespace
    const reviews = kube.requests.filter((r) => r.path.endsWith('/subjectaccessreviews')).map((r) => (r.body as { spec: Record<string, unknown> }).spec);
    expect(reviews).toContainEqual(
      expect.objectContaining({
        user: 'alice',
        resourceAttributes: { verb: 'list', group: NM, resource: 'notificationhistories', namespace: 'team-a' },
      }),
    );
    expect(kube.requests.filter((r) => r.path.endsWith('/tokenreviews')).every((r) => r.headers.authorization === `Bearer ${INGEST_SA_TOKEN}`)).toBe(true);
  });

  it('a cluster-wide grant reads every tenant and the DLQ with its payloads', async () => {
    expect(tenantsOf((await get('/api/v2/history?tenant=team-b', 'ops-token')).body)).toEqual(['team-b']);
    const list = await get('/api/v2/dlq', 'ops-token');
    expect(list.status).toBe(200);
    expect(list.body.items?.map((i) => i['seq'])).toEqual([dlqSeq]);
    const one = await get(`/api/v2/dlq/${dlqSeq}`, 'ops-token');
    expect(one.status).toBe(200);
    expect(one.body.payload).toEqual({ marker: 'dead-letter-payload' });
  });

  it('a console impersonating its user gets that user’s view', async () => {
    const as = { 'Impersonate-User': 'alice' };
    expect(tenantsOf((await get('/api/v2/history?tenant=team-a', 'console-token', as)).body)).toEqual(['team-a', 'team-a']);
    expect((await get('/api/v2/history?tenant=team-b', 'console-token', as)).status).toBe(403);
    expect((await get('/api/v2/dlq', 'console-token', as)).status).toBe(403);
    // alice may not impersonate anyone
    expect((await get('/api/v2/history?tenant=team-b', 'alice-token', { 'Impersonate-User': 'olga', 'Impersonate-Group': 'ops' })).status).toBe(403);
  });

  it('reuses reviews within the cache TTL, and a revoked token or binding stops working after it', async () => {
    const tokenReviews = (): number => kube.requests.filter((r) => r.path.endsWith('/tokenreviews')).length;
    await get('/api/v2/history?tenant=team-a', 'alice-token');
    const before = tokenReviews();
    // concurrent requests share one pending review; at most one TTL boundary can fall among them
    const answers = await Promise.all(Array.from({ length: 5 }, () => get('/api/v2/history?tenant=team-a', 'alice-token')));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(tokenReviews()).toBeLessThanOrEqual(before + 1);
    kube.remove(RBAC, 'RoleBinding', 'alice-notifications', 'team-a');
    await waitFor('binding removal in force', async () => (await get('/api/v2/history?tenant=team-a', 'alice-token')).status === 403, 10_000, 100);
    kube.removeUser('alice-token');
    await waitFor('token revocation in force', async () => (await get('/api/v2/history?tenant=team-a', 'alice-token')).status === 401, 10_000, 100);
    kube.addUser('alice-token', { username: 'alice' });
    kube.apply(rbacObjects[3]!);
  });

  it('answers 503 while the API server is away and recovers when it is back', async () => {
    await kube.stop();
    try {
      const r = await fetch(`${admin}/api/v2/dlq`, { headers: { authorization: 'Bearer a-token-never-seen' } });
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('5');
    } finally {
      await kube.start();
    }
    await waitFor('API server answering again', async () => (await get('/api/v2/dlq', 'ops-token')).status === 200, 10_000, 100);
  });

  it('the ingest port takes alerts with an ingest token only and serves no admin API', async () => {
    const post = (token?: string) =>
      fetch(`${ingest}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify([{ labels: { alertname: 'KubeAuth' } }]),
      });
    expect((await post()).status).toBe(401);
    expect((await post('ops-token')).status).toBe(401); // a Kubernetes token is not an ingest token
    expect((await post('alertmanager-token')).status).toBe(200);
    expect((await fetch(`${ingest}/api/v2/dlq`, { headers: { authorization: 'Bearer ops-token' } })).status).toBe(404);
    expect((await fetch(`${admin}/api/v2/alerts`, { method: 'POST', headers: { authorization: 'Bearer alertmanager-token' } })).status).toBe(404);
    for (const base of [ingest, admin]) expect((await fetch(`${base}/-/healthy`)).status).toBe(200);
  });
});
