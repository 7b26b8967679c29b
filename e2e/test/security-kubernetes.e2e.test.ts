import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { startFakeKube, startWebhookSink, waitFor, writeKubeconfig, type FakeKube, type KubeObject, type WebhookSink } from '@nm/testing';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

/**
 * Kubernetes mode through the running stack: config-sync and ingest talk to the (fake) API server;
 * ingest authenticates API callers with TokenReview and authorises them with SubjectAccessReview
 * against RBAC objects stored there, so a namespace tenant reads only its own history.
 */

const API = 'notification.kubesphere.io/v2beta2';
const RBAC = 'rbac.authorization.k8s.io/v1';
const NS = 'nm-system';
const SA_TOKEN = 'e2e-service-account-token';
const INGEST_TOKEN = 'e2e-alertmanager-token';

const objects: KubeObject[] = [
  {
    apiVersion: API,
    kind: 'NotificationManager',
    metadata: { name: 'notification-manager' },
    spec: {
      receivers: { tenantKey: 'namespace', globalReceiverSelector: { matchLabels: { type: 'global' } }, tenantReceiverSelector: { matchLabels: { type: 'tenant' } } },
      groupLabels: ['alertname', 'namespace'],
      batchMaxSize: 100,
      batchMaxWait: '1s',
      aggregation: { mode: 'batch' },
    },
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'notification-tenant' },
    rules: [
      { apiGroups: ['notification.kubesphere.io'], resources: ['notificationhistories'], verbs: ['list'] },
      { apiGroups: ['notification.kubesphere.io'], resources: ['receivers'], verbs: ['get'] },
    ],
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'notification-admin' },
    rules: [{ apiGroups: ['notification.kubesphere.io'], resources: ['*'], verbs: ['*'] }],
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
    metadata: { name: 'sre-notifications' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'notification-admin' },
    subjects: [{ kind: 'Group', name: 'sre' }],
  },
];

const receiver = (name: string, path: string, labels: Record<string, string>, url: string): KubeObject => ({
  apiVersion: API,
  kind: 'Receiver',
  metadata: { name, labels },
  spec: { webhook: { url: `${url}${path}` } },
});

describe('security through the running stack in Kubernetes mode: TokenReview and SubjectAccessReview', () => {
  let kube: FakeKube;
  let sink: WebhookSink;
  let stack: Stack;
  let kubeconfig: string;

  beforeAll(async () => {
    sink = await startWebhookSink();
    kube = await startFakeKube({
      token: SA_TOKEN,
      users: { 'alice-token': { username: 'alice' }, 'sam-token': { username: 'sam', groups: ['sre'] }, 'eve-token': { username: 'eve' } },
    });
    for (const o of objects) kube.apply(o);
    kube.apply(receiver('team-a-hook', '/team-a', { type: 'tenant', namespace: 'team-a' }, sink.url));
    kube.apply(receiver('team-b-hook', '/team-b', { type: 'tenant', namespace: 'team-b' }, sink.url));
    kubeconfig = writeKubeconfig({ server: kube.url, token: SA_TOKEN });
    const kubeEnv = { NM_CONFIG_SOURCE: 'kubernetes', KUBECONFIG: kubeconfig, NM_NAMESPACE: NS };
    stack = await startStack({
      manifests: {},
      configSource: 'kubernetes',
      env: {
        'config-sync': { ...kubeEnv, NM_LEASE_DURATION: '3s', NM_LEASE_RENEW: '1s' },
        // NM_CONFIG_SOURCE=kubernetes makes NM_API_AUTH default to kubernetes
        ingest: { ...kubeEnv, NM_API_AUTH: '', NM_INGEST_TOKENS: INGEST_TOKEN },
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await kube?.close();
    await sink?.close();
    if (kubeconfig) rmSync(dirname(kubeconfig), { recursive: true, force: true });
  });

  const get = async (path: string, token?: string): Promise<{ status: number; body: { items?: Array<{ tenant: string; receiver: string }> } }> => {
    const r = await fetch(`${stack.ingestUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: r.status, body: (await r.json()) as { items?: Array<{ tenant: string; receiver: string }> } };
  };

  it('alerts need the ingest token; a tenant reads only its own history, an SRE group reads everything, others nothing', async () => {
    const post = (token?: string) =>
      fetch(`${stack.ingestUrl}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(['team-a', 'team-b'].map((namespace) => ({ labels: { alertname: 'KubeSecurity', namespace } }))),
      });
    expect((await post()).status).toBe(401);
    expect((await post('alice-token')).status).toBe(401);
    await waitFor(
      'alerts accepted and delivered to both tenants',
      async () => {
        if (sink.accepted('/team-a').length > 0 && sink.accepted('/team-b').length > 0) return true;
        expect((await post(INGEST_TOKEN)).status).toBe(200); // (again while config-sync is still mirroring the Receivers)
        await new Promise((r) => setTimeout(r, 1500));
        return false;
      },
      40_000,
      100,
    );
    expect((sink.accepted('/team-a')[0]!.body as WebhookNotification).alerts[0]!.labels.namespace).toBe('team-a');
    await waitFor('history of both tenants', async () => ((await get('/api/v2/history?tenant=team-b', 'sam-token')).body.items ?? []).length > 0, 30_000);

    const own = await get('/api/v2/history?tenant=team-a', 'alice-token');
    expect(own.status).toBe(200);
    expect(new Set((own.body.items ?? []).map((i) => i.receiver))).toEqual(new Set(['team-a-hook']));
    expect((await get('/api/v2/history?tenant=team-b', 'alice-token')).status).toBe(403);
    expect((await get('/api/v2/dlq', 'alice-token')).status).toBe(403);
    expect((await get('/api/v2/history?tenant=team-a', 'eve-token')).status).toBe(403);
    expect((await get('/api/v2/history?tenant=team-a', 'forged-token')).status).toBe(401);
    expect((await get('/api/v2/history?tenant=team-a')).status).toBe(401);
    expect((await get('/api/v2/dlq', 'sam-token')).status).toBe(200);
    expect(new Set(((await get('/api/v2/history?tenant=team-b', 'sam-token')).body.items ?? []).map((i) => i.receiver))).toEqual(new Set(['team-b-hook']));

    // ingest asked the API server with its own credentials, in alice's namespace
    const sars = kube.requests.filter((r) => r.path.endsWith('/subjectaccessreviews')).map((r) => (r.body as { spec: { user: string; resourceAttributes: Record<string, string> } }).spec);
    expect(sars).toContainEqual(
      expect.objectContaining({ user: 'alice', resourceAttributes: { verb: 'list', group: 'notification.kubesphere.io', resource: 'notificationhistories', namespace: 'team-a' } }),
    );
    expect(kube.requests.filter((r) => r.status === 401)).toHaveLength(0);
  });
});
