import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Redis } from 'ioredis';
import { startFakeKube, startWebhookSink, waitFor, writeKubeconfig, type FakeKube, type KubeObject, type WebhookSink } from '@nm/testing';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

const API = 'notification.kubesphere.io/v2beta2';
const NS = 'nm-system';
const TOKEN = 'e2e-api-token';

const notificationManager: KubeObject = {
  apiVersion: API,
  kind: 'NotificationManager',
  metadata: { name: 'notification-manager' },
  spec: {
    defaultConfigSelector: { matchLabels: { type: 'default' } },
    receivers: { tenantKey: 'namespace', globalReceiverSelector: { matchLabels: { type: 'global' } }, tenantReceiverSelector: { matchLabels: { type: 'tenant' } } },
    groupLabels: ['alertname', 'namespace'],
    batchMaxSize: 100,
    batchMaxWait: '1s',
    aggregation: { mode: 'batch' },
  },
};

interface RouteAnswer {
  revision: number;
  decision: { receivers: Array<{ name: string; channel: string }> };
}

describe('config-sync in Kubernetes mode: the whole pipeline configured through a (fake) API server', () => {
  let kube: FakeKube;
  let sink: WebhookSink;
  let stack: Stack;
  let kubeconfig: string;

  /** A request to the API server the way a client (kubectl, the KubeSphere console) makes it. */
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${kube.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json() };
  };
  /** What ingest's routing (its own configuration snapshot) decides for an alert. */
  const route = async (labels: Record<string, string>): Promise<RouteAnswer> => {
    const res = await fetch(`${stack.ingestUrl}/api/v2/route`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ labels }) });
    return (await res.json()) as RouteAnswer;
  };
  const routedTo = async (labels: Record<string, string>): Promise<string[]> => (await route(labels)).decision.receivers.map((r) => r.name).sort();

  beforeAll(async () => {
    sink = await startWebhookSink();
    kube = await startFakeKube({ token: TOKEN });
    kube.apply(notificationManager);
    kubeconfig = writeKubeconfig({ server: kube.url, token: TOKEN });
    stack = await startStack({
      manifests: {},
      configSource: 'kubernetes',
      env: {
        'config-sync': {
          NM_CONFIG_SOURCE: 'kubernetes',
          KUBECONFIG: kubeconfig,
          NM_NAMESPACE: NS,
          NM_LEASE_DURATION: '3s',
          NM_LEASE_RENEW: '1s',
        },
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await kube?.close();
    await sink?.close();
    if (kubeconfig) rmSync(dirname(kubeconfig), { recursive: true, force: true });
  });

  it('a Receiver created through the API reaches routing, gets a Valid condition, and an alert is delivered to it with its Secret', async () => {
    expect(await routedTo({ alertname: 'K8sMode', namespace: 'shop' })).toEqual([]);

    const secret = await api('POST', `/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'hook-token' },
      data: { token: Buffer.from('from-a-kubernetes-secret').toString('base64') },
    });
    expect(secret.status).toBe(201);
    const created = await api('POST', `/apis/${API}/receivers`, {
      apiVersion: API,
      kind: 'Receiver',
      metadata: { name: 'k8s-hook', labels: { type: 'global' } },
      spec: { webhook: { url: `${sink.url}/k8s`, httpConfig: { bearerToken: { valueFrom: { secretKeyRef: { name: 'hook-token', key: 'token' } } } } } },
    });
    expect(created.status).toBe(201);

    await waitFor('the Receiver reaches routing', async () => (await routedTo({ alertname: 'K8sMode', namespace: 'shop' })).includes('k8s-hook'), 30_000);
    await waitFor(
      'Valid condition on the Receiver',
      () => {
        const conditions = (kube.get(API, 'Receiver', 'k8s-hook')?.['status'] as { conditions?: Array<{ type: string; status: string; reason: string }> } | undefined)?.conditions;
        return conditions?.some((c) => c.type === 'Valid' && c.status === 'True' && c.reason === 'Valid');
      },
      30_000,
    );

    const res = await stack.postAlerts({ receiver: 'am', status: 'firing', alerts: [{ labels: { alertname: 'K8sMode', namespace: 'shop', pod: 'p1' }, annotations: { message: 'hi' } }] });
    expect(res.status).toBe(200);
    await waitFor('delivered to the Receiver created through the API', () => sink.accepted('/k8s').length === 1, 30_000);
    await new Promise((r) => setTimeout(r, 1500)); // nothing else arrives after another flush window
    const delivered = sink.accepted('/k8s');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.headers.authorization).toBe('Bearer from-a-kubernetes-secret');
    const body = delivered[0]!.body as WebhookNotification;
    expect(body.alerts.map((a) => a.labels.pod)).toEqual(['p1']);

    // config-sync holds the Lease and talked to the API server with the kubeconfig's token
    const lease = kube.get('coordination.k8s.io/v1', 'Lease', 'notification-manager-config-sync', NS);
    expect((lease?.['spec'] as { holderIdentity?: string } | undefined)?.holderIdentity).toBeTruthy();
    expect(kube.requests.filter((r) => r.status === 401)).toHaveLength(0);
  });

  it('an edit and a deletion through the API reach Redis, routing and delivery', async () => {
    const before = (await route({ alertname: 'Edited', namespace: 'shop' })).revision;
    const mirror = new Redis(stack.redis.url);
    const sealedBefore = await mirror.hget('nm:config:objects', 'Receiver/k8s-hook').finally(() => mirror.disconnect());
    const patched = await api('PATCH', `/apis/${API}/receivers/k8s-hook`, { spec: { webhook: { url: `${sink.url}/k8s-edited` } } });
    expect(patched.status).toBe(200);
    const redis = new Redis(stack.redis.url);
    try {
      // bodies are sealed in Redis (NM_SECRET_KEY): the stored value changes, its text is not readable
      await waitFor('the edit mirrored into Redis', async () => {
        const now = (await redis.hget('nm:config:objects', 'Receiver/k8s-hook')) ?? '';
        return now !== '' && now !== sealedBefore && !now.includes('k8s-edited');
      }, 30_000);
    } finally {
      redis.disconnect();
    }
    await waitFor('ingest reads the new revision', async () => (await route({ alertname: 'Edited', namespace: 'shop' })).revision > before, 30_000);

    // Alerts posted from now on reach the edited URL once the sender read the revision too; none is lost meanwhile.
    const posted: string[] = [];
    const names = (path: string): string[] => sink.accepted(path).flatMap((r) => (r.body as WebhookNotification).alerts.map((a) => a.labels.alertname ?? ''));
    await waitFor(
      'an alert delivered to the edited URL',
      async () => {
        if (names('/k8s-edited').length > 0) return true;
        const name = `Edited-${posted.length}`;
        expect((await stack.postAlerts([{ labels: { alertname: name, namespace: 'shop' } }])).status).toBe(200);
        posted.push(name);
        await new Promise((r) => setTimeout(r, 1500));
        return names('/k8s-edited').length > 0;
      },
      40_000,
      100,
    );
    await waitFor('every posted alert delivered once', () => [...names('/k8s'), ...names('/k8s-edited')].filter((n) => n.startsWith('Edited-')).length === posted.length, 30_000);
    expect(new Set([...names('/k8s'), ...names('/k8s-edited')].filter((n) => n.startsWith('Edited-')))).toEqual(new Set(posted));

    expect((await api('DELETE', `/apis/${API}/receivers/k8s-hook`)).status).toBe(200);
    await waitFor('the deleted Receiver leaves routing', async () => (await routedTo({ alertname: 'Gone', namespace: 'shop' })).length === 0, 30_000);
  });
});
