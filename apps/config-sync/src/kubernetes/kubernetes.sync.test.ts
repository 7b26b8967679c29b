import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { ConfigStoreReader, ConfigStoreWriter, keys, resolveCredential, SecretBox } from '@nm/config-store';
import { loadManifests } from '@nm/manifests';
import { explainRoute, receiverSection, type ConfigSnapshot } from '@nm/model';
import { sleep, startFakeKube, startRedis, waitFor, writeKubeconfig, type FakeKube, type KubeObject, type PrivateRedis } from '@nm/testing';
import { createLogger, Metrics } from '@nm/telemetry';
import { ConfigMirror } from '../config.mirror.js';
import { kubeApis } from './kube.client.js';
import { KubernetesSync, type KubernetesSyncOptions } from './kubernetes.sync.js';
import { problemText, type ValidCondition } from './status.writer.js';

const API = 'notification.kubesphere.io/v2beta2';
const NS = 'nm-system';
const logger = createLogger('t', process.env['TEST_LOG_LEVEL'] ?? 'silent');
const RECEIVERS = '/apis/notification.kubesphere.io/v2beta2/receivers';

const nm = (receivers: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: API,
  kind: 'NotificationManager',
  metadata: { name: 'notification-manager' },
  spec: {
    defaultConfigSelector: { matchLabels: { type: 'default' } },
    receivers: { tenantKey: 'namespace', globalReceiverSelector: { matchLabels: { type: 'global' } }, tenantReceiverSelector: { matchLabels: { type: 'tenant' } }, ...receivers },
  },
});
const receiver = (name: string, labels: Record<string, string>, webhook: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: API,
  kind: 'Receiver',
  metadata: { name, labels },
  spec: { webhook: { url: `http://127.0.0.1:9/${name}`, ...webhook } },
});
const secret = (name: string, namespace: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});
const bearerFrom = (name: string, key: string, namespace?: string) => ({
  httpConfig: { bearerToken: { valueFrom: { secretKeyRef: { name, key, ...(namespace ? { namespace } : {}) } } } },
});

const receiverNames = (snap: ConfigSnapshot): string[] => snap.receivers.map((r) => r.metadata.name).sort();
const routed = (snap: ConfigSnapshot, labels: Record<string, string>): string[] =>
  explainRoute({ labels: { alertname: 'A', ...labels } }, snap)
    .decision.receivers.map((r) => r.name)
    .sort();

describe('config-sync in Kubernetes mode against a fake API server', () => {
  let kube: FakeKube;
  let redis: PrivateRedis;
  let dir: string;
  const clients: Redis[] = [];
  const syncs: KubernetesSync[] = [];
  const readers: ConfigStoreReader[] = [];
  const box = new SecretBox('kubernetes-sync-test-key');

  beforeEach(async () => {
    kube = await startFakeKube();
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'nm-k8s-sync-'));
  });
  afterEach(async () => {
    readers.splice(0).forEach((r) => r.stop());
    await Promise.all(syncs.splice(0).map((s) => s.stop()));
    clients.splice(0).forEach((c) => c.disconnect());
    await kube.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (): Redis => {
    const c = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };

  /** A config-sync replica; `writes` counts its configuration writes to Redis. */
  const startSync = (identity = 'replica-a', opts: Partial<KubernetesSyncOptions> = {}): { sync: KubernetesSync; writes: () => number } => {
    const kc = new KubeConfig();
    kc.loadFromFile(writeKubeconfig({ server: kube.url, dir: mkdtempSync(join(dir, 'kc-')) }));
    let writes = 0;
    const writer = new ConfigStoreWriter(client(), box);
    const replaceAll = writer.replaceAll.bind(writer);
    writer.replaceAll = (content) => {
      writes += 1;
      return replaceAll(content);
    };
    const sync = new KubernetesSync(kubeApis(kc), new ConfigMirror(writer, logger, new Metrics('t')), logger, new Metrics('t'), {
      namespace: NS,
      identity,
      debounceMs: 20,
      pollMs: 100,
      backoff: { initialMs: 100, maxMs: 400 },
      lease: { durationMs: 2000, renewMs: 300, retryMs: 150 },
      secondaryWaitMs: 3000,
      ...opts,
    });
    sync.start();
    syncs.push(sync);
    return { sync, writes: () => writes };
  };

  const startReader = async (): Promise<ConfigStoreReader> => {
    const reader = new ConfigStoreReader(client(), undefined, box, logger, 50);
    readers.push(reader);
    await reader.start();
    await waitFor('configuration mirrored', () => reader.isLoaded(), 20_000);
    return reader;
  };

  it('mirrors every kind and the referenced Secret on the first list; adds, edits and deletions reach Redis and routing', async () => {
    kube.apply(nm());
    kube.apply({ apiVersion: API, kind: 'Config', metadata: { name: 'default', labels: { type: 'default' } }, spec: { webhook: {} } });
    kube.apply(receiver('global-hook', { type: 'global' }, bearerFrom('hook-token', 'token')));
    kube.apply(receiver('team-a', { type: 'tenant', namespace: 'team-a' }));
    kube.apply({ apiVersion: API, kind: 'Router', metadata: { name: 'rt' }, spec: { alertSelector: { matchLabels: { route: 'x' } }, receivers: { name: ['global-hook'] } } });
    kube.apply({ apiVersion: API, kind: 'Silence', metadata: { name: 'quiet', labels: { type: 'global' } }, spec: { matcher: { matchLabels: { alertname: 'Quiet' } } } });
    kube.apply({
      apiVersion: API,
      kind: 'InhibitRule',
      metadata: { name: 'ir', labels: { type: 'global' } },
      spec: { sourceSelector: { matchLabels: { severity: 'critical' } }, targetSelector: { matchLabels: { severity: 'warning' } }, equal: ['alertname'] },
    });
    kube.apply({ apiVersion: API, kind: 'EventRule', metadata: { name: 'pod-warnings' }, spec: { events: { kinds: ['Pod'] }, labels: { team: 'apps' } } });
    kube.apply(secret('hook-token', NS, { token: 'first-token' }));
    kube.apply(secret('unrelated', NS, { password: 'not-for-us' }));
    kube.apply(secret('hook-token', 'elsewhere', { token: 'wrong-namespace' }));

    startSync();
    const reader = await startReader();
    let snap = reader.current();
    expect(snap.notificationManager?.metadata.name).toBe('notification-manager');
    expect(snap.configs.map((c) => c.metadata.name)).toEqual(['default']);
    expect(receiverNames(snap)).toEqual(['global-hook', 'team-a']);
    expect(snap.routers.map((r) => r.metadata.name)).toEqual(['rt']);
    expect(snap.silences.map((s) => s.metadata.name)).toEqual(['quiet']);
    expect(snap.inhibitRules.map((s) => s.metadata.name)).toEqual(['ir']);
    expect(snap.eventRules?.map((s) => s.spec)).toEqual([{ events: { kinds: ['Pod'] }, labels: { team: 'apps' } }]);
    // Only the referenced Secret, from the namespace the reference resolves in; kept encrypted.
    expect(Object.keys(await client().hgetall(keys.secrets))).toEqual([`${NS}/hook-token`]);
    expect(JSON.stringify(await client().hgetall(keys.secrets))).not.toContain('first-token');
    const hook = snap.receivers.find((r) => r.metadata.name === 'global-hook')!;
    // The reference names the namespace, so senders resolve it whatever their default namespace.
    expect(resolveCredential(hook.spec.webhook?.httpConfig?.bearerToken, snap, 'default')).toBe('first-token');
    // No server-owned metadata or status in what is mirrored.
    const stored = JSON.parse(box.open((await client().hget(keys.objects, 'Receiver/global-hook'))!)) as { metadata: Record<string, unknown> };
    expect(Object.keys(stored.metadata).sort()).toEqual(['labels', 'name']);
    expect(routed(snap, { namespace: 'team-a' })).toEqual(['global-hook', 'team-a']);
    expect(routed(snap, { namespace: 'team-b' })).toEqual(['global-hook']);

    // add
    kube.apply(receiver('team-b', { type: 'tenant', namespace: 'team-b' }));
    await waitFor('added receiver mirrored', () => receiverNames(reader.current()).includes('team-b'));
    expect(routed(reader.current(), { namespace: 'team-b' })).toEqual(['global-hook', 'team-b']);
    // modify
    kube.apply(receiver('team-b', { type: 'tenant', namespace: 'team-b' }, { url: 'http://127.0.0.1:9/edited' }));
    await waitFor('edit mirrored', () => reader.current().receivers.find((r) => r.metadata.name === 'team-b')?.spec.webhook?.url === 'http://127.0.0.1:9/edited');
    // delete
    kube.remove(API, 'Receiver', 'team-a');
    await waitFor('deletion mirrored', () => !receiverNames(reader.current()).includes('team-a'));
    snap = reader.current();
    expect(routed(snap, { namespace: 'team-a' })).toEqual(['global-hook']);
    expect(await client().hexists(keys.objects, 'Receiver/team-a')).toBe(0);
    // a clean close of every watch (the API server's request timeout) re-watches from the last
    // resourceVersion: no relist
    const lists = () => kube.requests.filter((r) => r.path === RECEIVERS && !r.watch).length;
    const listsBefore = lists();
    const watchesBefore = kube.requests.length;
    kube.closeAllWatches();
    const rewatch = await waitFor('re-watched', () => kube.requests.slice(watchesBefore).find((r) => r.path === RECEIVERS && r.watch));
    expect(Number(rewatch.query['resourceVersion'])).toBeGreaterThan(100);
    kube.apply(receiver('after-close', { type: 'global' }));
    await waitFor('event after the re-watch mirrored', () => receiverNames(reader.current()).includes('after-close'));
    expect(lists()).toBe(listsBefore);
  });

  it.each(['event', 'status'] as const)('relists after a 410 (%s) and removes the objects deleted while it was away', async (expiredAs) => {
    kube.setExpiredAs(expiredAs);
    kube.apply(nm());
    for (const n of ['a', 'b', 'c']) kube.apply(receiver(n, { type: 'global' }));
    startSync();
    const reader = await startReader();
    expect(receiverNames(reader.current())).toEqual(['a', 'b', 'c']);
    const lists = () => kube.requests.filter((r) => r.path === RECEIVERS && !r.watch).length;
    expect(lists()).toBe(1);

    await kube.stop();
    kube.remove(API, 'Receiver', 'b');
    kube.apply(receiver('d', { type: 'global' }));
    kube.compact(); // the gap's events are gone: a watch from the old resourceVersion gets 410
    await kube.start();

    await waitFor('relisted and mirrored', () => receiverNames(reader.current()).join() === 'a,c,d', 20_000);
    expect(lists()).toBe(2);
    expect(await client().hexists(keys.objects, 'Receiver/b')).toBe(0);
    const refused = kube.requests.filter((r) => r.path === RECEIVERS && r.watch && expiredAs === 'status' && r.status === 410);
    if (expiredAs === 'status') expect(refused.length).toBeGreaterThan(0);
  });

  it('a Secret rotation reaches the senders; a reference to another namespace starts watching it', async () => {
    kube.apply(nm());
    kube.apply(receiver('hook', { type: 'global' }, bearerFrom('tok', 'token')));
    kube.apply(secret('tok', NS, { token: 'v1' }));
    startSync();
    const reader = await startReader();
    const token = (): string | undefined => {
      const snap = reader.current();
      const r = snap.receivers.find((x) => x.metadata.name === 'hook');
      try {
        return resolveCredential(r?.spec.webhook?.httpConfig?.bearerToken, snap, 'default');
      } catch {
        return undefined;
      }
    };
    expect(token()).toBe('v1');
    kube.apply(secret('tok', NS, { token: 'v2' }));
    await waitFor('rotated secret mirrored', () => token() === 'v2');

    kube.apply(secret('other-tok', 'other-ns', { token: 'from-other' }));
    expect(kube.openWatches('secrets')).toBe(1);
    kube.apply(receiver('hook', { type: 'global' }, bearerFrom('other-tok', 'token', 'other-ns')));
    await waitFor('secret of another namespace mirrored', () => token() === 'from-other');
    expect(kube.openWatches('secrets')).toBe(2);
    expect(Object.keys(await client().hgetall(keys.secrets))).toEqual(['other-ns/other-tok']);
  });

  it('writes status.conditions (Valid True/False with the words nmctl validate prints) and patches only on change', async () => {
    kube.apply(nm());
    const bad: KubeObject = { apiVersion: API, kind: 'Receiver', metadata: { name: 'bad', labels: { type: 'global' } }, spec: { email: { to: [] } } };
    const warned = receiver('warned', { type: 'global' }, bearerFrom('missing', 'token'));
    kube.apply(bad);
    kube.apply(warned);
    kube.apply(receiver('good', { type: 'global' }));
    startSync();
    const reader = await startReader();
    const condition = (name: string): ValidCondition | undefined =>
      ((kube.get(API, 'Receiver', name)?.['status'] as { conditions?: ValidCondition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Valid');
    await waitFor('conditions written', () => condition('bad') && condition('good') && condition('warned'));
    await waitFor('NotificationManager condition', () => {
      const st = kube.get(API, 'NotificationManager', 'notification-manager')?.['status'] as { conditions?: ValidCondition[] } | undefined;
      return st?.conditions?.[0]?.status === 'True';
    });

    // The same words as nmctl validate on the same manifests in files
    writeFileSync(join(dir, 'bad.yaml'), JSON.stringify(bad));
    writeFileSync(join(dir, 'warned.yaml'), JSON.stringify({ ...warned, metadata: { name: 'warned', labels: { type: 'global' } } }));
    writeFileSync(join(dir, 'nm.yaml'), JSON.stringify({ ...nm(), spec: { ...(nm()['spec'] as object), defaultSecretNamespace: NS } }));
    const offline = await loadManifests([join(dir, 'bad.yaml'), join(dir, 'warned.yaml'), join(dir, 'nm.yaml')]);
    const wordsOf = (name: string) =>
      offline.problems
        .filter((p) => p.name === name && p.kind === 'Receiver')
        .map(problemText)
        .join('; ');
    expect(condition('bad')).toMatchObject({ status: 'False', reason: 'Invalid', message: wordsOf('bad'), observedGeneration: 1 });
    expect(condition('bad')!.message).toBe('error spec.email.to: at least one address is required');
    expect(condition('warned')).toMatchObject({ status: 'True', reason: 'ValidWithWarnings', message: wordsOf('warned') });
    expect(condition('warned')!.message).toContain(`Secret ${NS}/missing not found`);
    expect(condition('good')).toMatchObject({ status: 'True', reason: 'Valid' });
    expect(receiverNames(reader.current())).toEqual(['good', 'warned']);
    const statusPatches = () => kube.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/status'));
    expect(statusPatches().every((r) => r.headers['content-type'] === 'application/merge-patch+json')).toBe(true);

    // Nothing changes: no more patches over several polls (status events come back as MODIFIED)
    const count = statusPatches().length;
    expect(count).toBe(4);
    await sleep(800);
    expect(statusPatches().length).toBe(count);

    // Fixing the object flips the condition, with a new transition time and generation
    const before = condition('bad')!;
    kube.apply({ ...bad, spec: { email: { to: ['ops@example.com'] } } });
    await waitFor('condition flipped', () => condition('bad')?.status === 'True');
    expect(condition('bad')).toMatchObject({ reason: 'Valid', observedGeneration: 2 });
    expect(Date.parse(condition('bad')!.lastTransitionTime)).toBeGreaterThanOrEqual(Date.parse(before.lastTransitionTime));
    await waitFor('fixed receiver mirrored', () => receiverNames(reader.current()).includes('bad'));
    // other condition types are kept
    const path = `${kube.url}${RECEIVERS}/good/status`;
    const other = { type: 'Delivered', status: 'True', reason: 'Ok', message: 'x', lastTransitionTime: '2026-01-01T00:00:00Z' };
    const good = kube.get(API, 'Receiver', 'good')!;
    await fetch(path, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ status: { conditions: [other, ...((good['status'] as { conditions: unknown[] }).conditions ?? [])] } }),
    });
    kube.apply(receiver('good', { type: 'global' }, { url: 'http://127.0.0.1:9/changed' }));
    await waitFor('generation 2 observed', () => condition('good')?.observedGeneration === 2);
    expect(((kube.get(API, 'Receiver', 'good')!['status'] as { conditions: Array<{ type: string }> }).conditions ?? []).map((c) => c.type)).toEqual(['Delivered', 'Valid']);
  });

  it('two replicas elect one leader; only it writes; the other takes over when the Lease lapses', async () => {
    kube.apply(nm());
    kube.apply(receiver('r1', { type: 'global' }));
    const a = startSync('replica-a');
    await waitFor('a leads', () => a.sync.isLeader());
    const b = startSync('replica-b');
    const reader = await startReader();
    await waitFor('b listed', () => b.sync.listed);
    let both = false;
    const sampler = setInterval(() => {
      if (a.sync.isLeader() && b.sync.isLeader()) both = true;
    }, 10);
    try {
      kube.apply(receiver('r2', { type: 'global' }));
      await waitFor('r2 mirrored', () => receiverNames(reader.current()).includes('r2'));
      await sleep(500);
      expect(b.sync.isLeader()).toBe(false);
      expect(b.writes()).toBe(0);
      expect(a.writes()).toBeGreaterThan(0);
      const lease = kube.get('coordination.k8s.io/v1', 'Lease', 'notification-manager-config-sync', NS)!;
      expect(lease['spec']).toMatchObject({ holderIdentity: 'replica-a', leaseDurationSeconds: 2 });

      // replica-a dies without releasing the lease: b waits the lease out, then leads and writes
      const diedAt = Date.now();
      await a.sync.stop({ releaseLease: false });
      await waitFor('b leads', () => b.sync.isLeader(), 15_000);
      expect(Date.now() - diedAt).toBeGreaterThanOrEqual(1500);
      kube.apply(receiver('r3', { type: 'global' }));
      await waitFor('r3 mirrored by b', () => receiverNames(reader.current()).includes('r3'));
      expect(b.writes()).toBeGreaterThan(0);
      expect(kube.get('coordination.k8s.io/v1', 'Lease', 'notification-manager-config-sync', NS)!['spec']).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1 });

      // a graceful stop releases the lease: a new replica takes over without waiting it out
      const c = startSync('replica-c');
      await waitFor('c listed', () => c.sync.listed);
      const stoppedAt = Date.now();
      await b.sync.stop();
      await waitFor('c leads', () => c.sync.isLeader(), 15_000);
      expect(Date.now() - stoppedAt).toBeLessThan(1500);
      expect(both).toBe(false);
    } finally {
      clearInterval(sampler);
    }
  });

  it('keeps the last good configuration while the API server is away (500s, stopped) and resyncs when it is back', async () => {
    kube.apply(nm());
    kube.apply(receiver('r1', { type: 'global' }));
    kube.apply(receiver('r2', { type: 'global' }));
    const { sync } = startSync();
    const reader = await startReader();
    const revision = reader.current().revision;

    // A watch answered 500 stops client-node's informer; config-sync restarts it from the last
    // resourceVersion (no relist) and keeps going.
    const lists = () => kube.requests.filter((r) => r.path === RECEIVERS && !r.watch).length;
    kube.failNext({ path: RECEIVERS, watch: true, code: 500, times: 2 });
    kube.closeAllWatches();
    await waitFor('watch failed twice then resumed', () => kube.requests.filter((r) => r.path === RECEIVERS && r.watch && r.status === 500).length === 2);
    kube.apply(receiver('r3', { type: 'global' }));
    await waitFor('r3 mirrored after the 500s', () => receiverNames(reader.current()).includes('r3'));
    expect(lists()).toBe(1);

    // The API server goes away: nothing is written, Redis keeps the configuration.
    await kube.stop();
    const kept = reader.current().revision;
    expect(kept).toBeGreaterThan(revision);
    await sleep(2500); // past the renew deadline: the replica stops leading
    expect(sync.isLeader()).toBe(false);
    expect(reader.current().revision).toBe(kept);
    expect(receiverNames(reader.current())).toEqual(['r1', 'r2', 'r3']);
    // changes made meanwhile, and a Redis that lost everything
    kube.remove(API, 'Receiver', 'r1');
    kube.apply(receiver('r4', { type: 'global' }));
    await client().flushall();

    await kube.start();
    await waitFor('resynced after the API server came back', () => receiverNames(reader.current()).join() === 'r2,r3,r4', 20_000);
    expect(sync.isLeader()).toBe(true);
    expect(lists()).toBe(1); // resumed from the last resourceVersion, the events replayed

    // Redis restarts empty while the API server is up: everything is mirrored again at once.
    await client().flushall();
    await waitFor('re-mirrored after the flush', async () => (await client().hlen(keys.objects)) > 0, 10_000);
    expect(Object.keys(await client().hgetall(keys.objects)).sort()).toEqual(['NotificationManager/notification-manager', 'Receiver/r2', 'Receiver/r3', 'Receiver/r4']);
  });

  it('watches RoleBindings when tenantKey is user and routes a namespace to its users', async () => {
    kube.apply(nm({ tenantKey: 'user' }));
    kube.apply(receiver('alice-hook', { type: 'tenant', user: 'alice' }));
    kube.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'alice-edit', namespace: 'shop' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'edit' },
      subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
    });
    kube.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'controller', namespace: 'shop' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'x' },
      subjects: [{ kind: 'ServiceAccount', name: 'ctrl', namespace: 'shop' }],
    });
    startSync();
    const reader = await startReader();
    await waitFor('role binding mirrored', () => reader.current().roleBindings.length === 1);
    expect(reader.current().roleBindings[0]!.metadata).toEqual({ name: 'alice-edit', namespace: 'shop' });
    expect(routed(reader.current(), { namespace: 'shop' })).toEqual(['alice-hook']);
    expect(receiverSection(reader.current().receivers[0]!, 'webhook')).toBeDefined();

    // Back to tenantKey namespace: the RoleBindings are no longer watched nor mirrored.
    kube.apply(nm());
    await waitFor('role bindings dropped', () => reader.current().roleBindings.length === 0);
    expect(kube.openWatches('rolebindings')).toBe(0);
  });

  it('treats a kind the API server does not serve (its CRD not installed) as empty and mirrors the rest', async () => {
    kube.failNext({ path: '/inhibitrules', code: 404, times: 1000 });
    kube.apply(nm());
    kube.apply(receiver('r1', { type: 'global' }));
    startSync();
    const reader = await startReader();
    expect(receiverNames(reader.current())).toEqual(['r1']);
    expect(reader.current().inhibitRules).toEqual([]);
  });

  it('mirrors nothing before the first list: Redis keeps what it has while the API server is unreachable at start', async () => {
    const c = client();
    const writer = new ConfigStoreWriter(c, box);
    await writer.replaceAll({ objects: [{ kind: 'Receiver', name: 'previous', body: receiver('previous', { type: 'global' }) }], secrets: [], problems: [] });
    await kube.stop();
    const { sync, writes } = startSync();
    await sleep(1500);
    expect(writes()).toBe(0);
    expect(sync.listed).toBe(false);
    expect(await c.hkeys(keys.objects)).toEqual(['Receiver/previous']);
    kube.apply(nm());
    kube.apply(receiver('now', { type: 'global' }));
    await kube.start();
    await waitFor('mirrored once the API server answers', async () => (await c.hkeys(keys.objects)).includes('Receiver/now'), 20_000);
    expect(await c.hexists(keys.objects, 'Receiver/previous')).toBe(0);
  });
});
