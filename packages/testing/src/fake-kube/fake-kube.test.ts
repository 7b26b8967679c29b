import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { waitFor } from '../free-port.js';
import { startFakeKube, type FakeKube } from './fake-kube.server.js';
import { writeKubeconfig } from './kubeconfig.js';

const NM = 'notification.kubesphere.io/v2beta2';
const RECEIVERS = '/apis/notification.kubesphere.io/v2beta2/receivers';

interface WatchEvent {
  type: string;
  object: { metadata: { name?: string; resourceVersion?: string }; code?: number; status?: unknown };
}

/** Opens a watch and collects its events until it ends. */
async function openWatch(url: string): Promise<{ status: number; events: WatchEvent[]; ended: Promise<void>; abort(): void }> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  const events: WatchEvent[] = [];
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line) as WatchEvent);
        }
      }
    } catch {
      // aborted or dropped
    }
  })();
  return { status: res.status, events, ended, abort: () => controller.abort() };
}

const receiver = (name: string, labels: Record<string, string> = { type: 'global' }) => ({
  apiVersion: NM,
  kind: 'Receiver',
  metadata: { name, labels },
  spec: { webhook: { url: `http://127.0.0.1/${name}` } },
});

describe('fake Kubernetes API server', () => {
  let kube: FakeKube | undefined;
  afterEach(async () => {
    await kube?.close();
    kube = undefined;
  });

  it('lists with the current resourceVersion and replays a watch from it, then streams live events', async () => {
    kube = await startFakeKube();
    kube.apply(receiver('a'));
    const list = (await (await fetch(`${kube.url}${RECEIVERS}`)).json()) as { kind: string; metadata: { resourceVersion: string }; items: Array<{ kind: string; metadata: { name: string } }> };
    expect(list.kind).toBe('ReceiverList');
    expect(list.items.map((i) => [i.kind, i.metadata.name])).toEqual([['Receiver', 'a']]);
    kube.apply(receiver('b'));
    const w = await openWatch(`${kube.url}${RECEIVERS}?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
    expect(w.status).toBe(200);
    await waitFor('replayed b', () => w.events.length === 1);
    const created = await fetch(`${kube.url}${RECEIVERS}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(receiver('c')) });
    expect(created.status).toBe(201);
    expect((await fetch(`${kube.url}${RECEIVERS}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(receiver('c')) })).status).toBe(409);
    kube.remove(NM, 'Receiver', 'a');
    await waitFor('live events', () => w.events.length === 3);
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b', 'ADDED c', 'DELETED a']);
    const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((x, y) => x - y));
    expect(String(rvs[2])).toBe(kube.resourceVersion());
    w.abort();
  });

  it('without a resourceVersion a watch starts with ADDED for every object; bookmarks when asked; timeoutSeconds ends it cleanly', async () => {
    kube = await startFakeKube({ bookmarkIntervalMs: 50 });
    kube.apply(receiver('a'));
    kube.apply(receiver('b'));
    const w = await openWatch(`${kube.url}${RECEIVERS}?watch=1&allowWatchBookmarks=true&timeoutSeconds=1`);
    await w.ended;
    expect(w.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name)).toEqual(['a', 'b']);
    const bookmarks = w.events.filter((e) => e.type === 'BOOKMARK');
    expect(bookmarks.length).toBeGreaterThan(0);
    expect(bookmarks[0]!.object.metadata.resourceVersion).toBe(kube.resourceVersion());
    expect(kube.openWatches('receivers')).toBe(0);
  });

  it('after compact() an open watch gets ERROR 410 and a watch from an older resourceVersion is refused (event or HTTP 410)', async () => {
    kube = await startFakeKube();
    kube.apply(receiver('a'));
    const old = kube.resourceVersion();
    const open = await openWatch(`${kube.url}${RECEIVERS}?watch=true&resourceVersion=${old}`);
    await waitFor('watch registered', () => kube!.openWatches('receivers') === 1);
    kube.apply(receiver('b'));
    kube.compact();
    await open.ended;
    expect(open.events.map((e) => e.type)).toEqual(['ADDED', 'ERROR']);
    expect(open.events[1]!.object.code).toBe(410);

    const again = await openWatch(`${kube.url}${RECEIVERS}?watch=true&resourceVersion=${old}`);
    await again.ended;
    expect(again.status).toBe(200);
    expect(again.events.map((e) => [e.type, e.object.code])).toEqual([['ERROR', 410]]);
    kube.setExpiredAs('status');
    expect((await fetch(`${kube.url}${RECEIVERS}?watch=true&resourceVersion=${old}`)).status).toBe(410);
    // from the current version nothing is missing
    const current = await openWatch(`${kube.url}${RECEIVERS}?watch=true&resourceVersion=${kube.resourceVersion()}`);
    expect(current.status).toBe(200);
    current.abort();
  });

  it('keeps status out of main-resource writes, bumps generation on spec changes, and merge-patches the status subresource', async () => {
    kube = await startFakeKube();
    kube.apply(receiver('a'));
    const path = `${kube.url}${RECEIVERS}/a`;
    const patch = await fetch(`${path}/status`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ status: { conditions: [{ type: 'Valid', status: 'True' }] }, spec: { webhook: { url: 'http://ignored' } } }),
    });
    expect(patch.status).toBe(200);
    let a = kube.get(NM, 'Receiver', 'a')!;
    expect(a['status']).toEqual({ conditions: [{ type: 'Valid', status: 'True' }] });
    expect(a['spec']).toEqual({ webhook: { url: 'http://127.0.0.1/a' } });
    expect(a.metadata.generation).toBe(1);
    const put = await fetch(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...a, spec: { webhook: { url: 'http://new' } }, status: {} }) });
    expect(put.status).toBe(200);
    a = kube.get(NM, 'Receiver', 'a')!;
    expect(a.metadata.generation).toBe(2);
    expect(a['status']).toEqual({ conditions: [{ type: 'Valid', status: 'True' }] });
    expect((await fetch(`${path}/status`, { method: 'PATCH', headers: { 'content-type': 'text/plain' }, body: '{}' })).status).toBe(415);
    expect((await fetch(`${kube.url}${RECEIVERS}/missing`)).status).toBe(404);
  });

  it('rejects a Lease update from a stale resourceVersion (optimistic concurrency)', async () => {
    kube = await startFakeKube();
    const leases = `${kube.url}/apis/coordination.k8s.io/v1/namespaces/ns1/leases`;
    const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' }, spec: { holderIdentity: 'one' } };
    const created = (await (await fetch(leases, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as {
      metadata: { resourceVersion: string; namespace: string };
    };
    expect(created.metadata.namespace).toBe('ns1');
    const put = (holder: string, rv: string) =>
      fetch(`${leases}/l`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, metadata: { name: 'l', resourceVersion: rv }, spec: { holderIdentity: holder } }) });
    expect((await put('two', created.metadata.resourceVersion)).status).toBe(200);
    const stale = await put('three', created.metadata.resourceVersion);
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { reason: string }).reason).toBe('Conflict');
    expect((kube.get('coordination.k8s.io/v1', 'Lease', 'l', 'ns1')!['spec'] as { holderIdentity: string }).holderIdentity).toBe('two');
  });

  it('lists built-in kinds without apiVersion/kind on items, filters by namespace and selector, and turns an object leaving a selector into DELETED', async () => {
    kube = await startFakeKube();
    kube.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace: 'a' }, data: {} });
    kube.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's2', namespace: 'b' }, data: {} });
    const inA = (await (await fetch(`${kube.url}/api/v1/namespaces/a/secrets`)).json()) as { items: Array<Record<string, unknown>> };
    expect(inA.items).toHaveLength(1);
    expect(inA.items[0]!['kind']).toBeUndefined();
    const all = (await (await fetch(`${kube.url}/api/v1/secrets`)).json()) as { items: unknown[] };
    expect(all.items).toHaveLength(2);

    kube.apply(receiver('t', { type: 'tenant' }));
    const w = await openWatch(`${kube.url}${RECEIVERS}?watch=true&labelSelector=${encodeURIComponent('type=tenant')}`);
    await waitFor('initial', () => w.events.length === 1);
    kube.apply(receiver('t', { type: 'global' }));
    kube.apply(receiver('g', { type: 'global' }));
    await waitFor('left the selector', () => w.events.length === 2);
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED t', 'DELETED t']);
    w.abort();
  });

  it('scripts failures, stops (connection refused) and starts again on the same port with its objects', async () => {
    kube = await startFakeKube({ token: 'tok' });
    kube.apply(receiver('a'));
    const auth = { headers: { authorization: 'Bearer tok' } };
    expect((await fetch(`${kube.url}${RECEIVERS}`)).status).toBe(401);
    kube.failNext({ path: '/receivers', watch: true, code: 500 });
    expect((await fetch(`${kube.url}${RECEIVERS}?watch=true`, auth)).status).toBe(500);
    expect((await fetch(`${kube.url}${RECEIVERS}`, auth)).status).toBe(200);
    await kube.stop();
    await expect(fetch(`${kube.url}${RECEIVERS}`, auth)).rejects.toThrow();
    await kube.start();
    const list = (await (await fetch(`${kube.url}${RECEIVERS}`, auth)).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(1);
    const last = kube.requests.at(-1)!;
    expect(last.headers.authorization).toBe('Bearer tok');
    expect(kube.requests.some((r) => r.watch && r.status === 500)).toBe(true);
  });

  it('serves discovery and writes a kubeconfig pointing at it', async () => {
    kube = await startFakeKube();
    const groups = (await (await fetch(`${kube.url}/apis`)).json()) as { groups: Array<{ name: string }> };
    expect(groups.groups.map((g) => g.name)).toContain('notification.kubesphere.io');
    const res = (await (await fetch(`${kube.url}/apis/notification.kubesphere.io/v2beta2`)).json()) as { resources: Array<{ name: string; namespaced: boolean }> };
    expect(res.resources.find((r) => r.name === 'inhibitrules')).toMatchObject({ namespaced: false });
    const path = writeKubeconfig({ server: kube.url, token: 't' });
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(`server: "${kube.url}"`);
    expect(text).toContain('current-context: fake');
  });
});
