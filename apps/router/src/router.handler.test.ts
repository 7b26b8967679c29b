import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PAYLOAD_VERSION, RoutedBatchSchema, type AdmittedBatch, type Alert, type RoutedBatch } from '@nm/contracts';
import type { HandlerContext, Publisher } from '@nm/bus';
import { emptySnapshot, type ConfigSnapshot, type Receiver } from '@nm/model';
import { createLogger, Metrics } from '@nm/telemetry';
import { createRouterHandler } from './router.handler.js';
import { TenantSidecarClient, tenantSidecarResolver, tenantSidecarUrlOf } from './tenant.sidecar.js';

const ctx = { logger: createLogger('t', 'silent'), childTraceparent: undefined } as unknown as HandlerContext;
const receiver = (name: string, labels: Record<string, string>): Receiver =>
  ({ apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'Receiver', metadata: { name, labels }, spec: { webhook: { url: `http://x/${name}` } } });
const alert = (id: string, labels: Record<string, string>): Alert => ({
  id,
  status: 'firing',
  labels,
  annotations: {},
  startsAt: '2026-11-22T00:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  fingerprint: '0123456789abcdef',
  receivedAt: '2026-11-22T00:00:00Z',
});
const admitted = (alerts: Alert[], extra: Partial<AdmittedBatch> = {}): AdmittedBatch => ({
  version: PAYLOAD_VERSION,
  batchId: 'b',
  chunk: { index: 0, count: 1 },
  source: 'alerts-array',
  receivedAt: '2026-11-22T00:00:00Z',
  alerts,
  ...extra,
});

function setup(snapshot: ConfigSnapshot, sidecar?: TenantSidecarClient, sidecarOf?: Parameters<typeof createRouterHandler>[0]['sidecarOf']) {
  const out: RoutedBatch[] = [];
  const publisher: Publisher = {
    publish: (_s, p) => {
      out.push(RoutedBatchSchema.parse(p));
      return Promise.resolve({ seq: out.length, duplicate: false });
    },
  };
  return { out, handler: createRouterHandler({ snapshot: () => snapshot, publisher, metrics: new Metrics('t'), ...(sidecar ? { sidecar } : {}), ...(sidecarOf ? { sidecarOf } : {}) }) };
}
const targets = (b: RoutedBatch): Record<string, string[]> =>
  Object.fromEntries(b.routes.map((r) => [r.alert.id, r.receivers.map((i) => b.receivers[i]!.name).sort()]));

describe('router handler', () => {
  const snap: ConfigSnapshot = {
    ...emptySnapshot(1),
    receivers: [receiver('g', { type: 'global' }), receiver('a', { type: 'tenant', namespace: 'ns-a' }), receiver('b', { type: 'tenant', namespace: 'ns-b' })],
  };

  it('emits one message listing each alert with its receivers, sharing the receiver table', async () => {
    const { out, handler } = setup(snap);
    await handler(admitted([alert('1', { alertname: 'X', namespace: 'ns-a' }), alert('2', { alertname: 'X', namespace: 'ns-b' }), alert('3', { alertname: 'X' })]), ctx);
    expect(out).toHaveLength(1);
    expect(targets(out[0]!)).toEqual({ '1': ['a', 'g'], '2': ['b', 'g'], '3': ['g'] });
    expect(out[0]!.receivers).toHaveLength(3);
  });

  it('drops an alert for the receivers of a tenant whose InhibitRule inhibits it, and only those', async () => {
    const { out, handler } = setup(snap);
    await handler(admitted([alert('1', { alertname: 'X', namespace: 'ns-a' })], { tenantInhibitions: { '1': [{ tenant: 'ns-a', rule: 'r' }] } }), ctx);
    expect(targets(out[0]!)).toEqual({ '1': ['g'] });
  });

  it('splits an output that outgrew max_payload into parts with their own receiver tables, ids stable per input', async () => {
    const out: RoutedBatch[] = [];
    const sizes: number[] = [];
    const ids: string[] = [];
    const publisher: Publisher = {
      maxPayload: () => 64 * 1024,
      publish: (_s, p, o) => {
        sizes.push(JSON.stringify(p).length);
        ids.push(o.msgId);
        out.push(RoutedBatchSchema.parse(p));
        return Promise.resolve({ seq: out.length, duplicate: false });
      },
    };
    const handler = createRouterHandler({ snapshot: () => snap, publisher, metrics: new Metrics('t') });
    const alerts = Array.from({ length: 400 }, (_, i) =>
      ({ ...alert(`${i}`, { alertname: 'X', namespace: i % 2 ? 'ns-a' : 'ns-b' }), annotations: { message: 'm'.repeat(400) } }),
    );
    const c = { ...ctx, msgId: 'adm-r1-0' } as HandlerContext;
    await handler(admitted(alerts), c);
    expect(out.length).toBeGreaterThan(2);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(64 * 1024 - 1024);
    const all = Object.assign({}, ...out.map(targets)) as Record<string, string[]>;
    expect(Object.keys(all)).toHaveLength(400);
    for (let i = 0; i < 400; i++) expect(all[`${i}`]).toEqual(i % 2 ? ['a', 'g'] : ['b', 'g']);
    for (const b of out) expect(b.receivers.every((_, k) => b.routes.some((r) => r.receivers.includes(k)))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.startsWith('rt-adm-r1-0.'))).toBe(true);
    // the same input again gives the same ids (JetStream drops the repeats)
    const first = [...ids];
    ids.length = 0;
    await handler(admitted(alerts), c);
    expect(ids).toEqual(first);
  });

  it('publishes nothing when no alert reaches a receiver', async () => {
    const { out, handler } = setup(emptySnapshot(1));
    await handler(admitted([alert('1', { alertname: 'X', namespace: 'ns-a' })]), ctx);
    expect(out).toHaveLength(0);
  });

  describe('with a tenant sidecar (tenantKey user)', () => {
    let server: Server;
    let url: string;
    const calls: string[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        calls.push(req.url ?? '');
        const ns = new URL(req.url ?? '/', 'http://x').searchParams.get('namespace');
        if (ns === 'proj') return res.end(JSON.stringify(['alice']));
        if (ns === 'broken') return res.end('"not a list"');
        res.writeHead(404);
        res.end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('routes to the users the sidecar names, caches answers, and falls back to global receivers on failure (counted)', async () => {
      const metrics = new Metrics('t');
      const userSnap: ConfigSnapshot = {
        ...emptySnapshot(2),
        notificationManager: {
          apiVersion: 'notification.kubesphere.io/v2beta2',
          kind: 'NotificationManager',
          metadata: { name: 'nm' },
          spec: { receivers: { tenantKey: 'user', globalReceiverSelector: { matchLabels: { type: 'global' } }, tenantReceiverSelector: { matchLabels: { type: 'tenant' } } } },
        },
        receivers: [receiver('g', { type: 'global' }), receiver('alice', { type: 'tenant', user: 'alice' })],
      };
      const { out, handler } = setup(userSnap, new TenantSidecarClient(url, metrics));
      const batch = admitted([
        alert('1', { alertname: 'X', namespace: 'proj', cluster: 'c1' }),
        alert('2', { alertname: 'X', namespace: 'unknown', cluster: 'c1' }),
        alert('3', { alertname: 'X', namespace: 'broken', cluster: 'c1' }),
      ]);
      await handler(batch, ctx);
      await handler(batch, ctx);
      expect(targets(out[0]!)).toEqual({ '1': ['alice', 'g'], '2': ['g'], '3': ['g'] });
      expect(calls.filter((c) => c.includes('namespace=proj'))).toEqual(['/api/v2/tenant?cluster=c1&namespace=proj']);
      const failures = await metrics.registry.getSingleMetricAsString('nm_tenant_lookup_failures_total');
      expect(failures).toContain('reason="http-404"');
      expect(failures).toContain('reason="bad-response"');
    });

    const userNm = (sidecars?: Record<string, unknown>): ConfigSnapshot['notificationManager'] => ({
      apiVersion: 'notification.kubesphere.io/v2beta2',
      kind: 'NotificationManager',
      metadata: { name: 'nm' },
      spec: {
        receivers: { tenantKey: 'user', globalReceiverSelector: { matchLabels: { type: 'global' } }, tenantReceiverSelector: { matchLabels: { type: 'tenant' } } },
        ...(sidecars ? { sidecars } : {}),
      },
    });

    it("honours the NotificationManager's spec.sidecars.tenant: the lookup is on only while it is declared, at the container's tenant port", async () => {
      const port = (server.address() as AddressInfo).port;
      const asked: string[] = [];
      // The declared URL is http://localhost:<port>; the test server listens on 127.0.0.1 only.
      const sidecarOf = tenantSidecarResolver(new Metrics('t'), undefined, (u) => {
        asked.push(u);
        return new TenantSidecarClient(u.replace('localhost', '127.0.0.1'), new Metrics('t'));
      });
      const receivers = [receiver('g', { type: 'global' }), receiver('alice', { type: 'tenant', user: 'alice' })];
      let snap: ConfigSnapshot = { ...emptySnapshot(3), notificationManager: userNm({ tenant: { type: 'kubesphere', name: 'tenant-sidecar', ports: [{ name: 'other', containerPort: 1 }, { name: 'tenant', containerPort: port }] } }), receivers };
      const out: RoutedBatch[] = [];
      const publisher: Publisher = { publish: (_s, p) => Promise.resolve({ seq: out.push(RoutedBatchSchema.parse(p)), duplicate: false }) };
      const handler = createRouterHandler({ snapshot: () => snap, publisher, metrics: new Metrics('t'), sidecarOf });
      const batch = admitted([alert('1', { alertname: 'X', namespace: 'proj', cluster: 'c1' })]);
      await handler(batch, ctx);
      expect(asked).toEqual([`http://localhost:${port}`]);
      expect(targets(out[0]!)).toEqual({ '1': ['alice', 'g'] });
      // Without the sidecar, tenantKey user falls back to RoleBindings (none here): global only.
      snap = { ...emptySnapshot(4), notificationManager: userNm(), receivers };
      await handler(batch, ctx);
      expect(targets(out[1]!)).toEqual({ '1': ['g'] });
      expect(asked).toHaveLength(1);
    });

    it('NM_TENANT_SIDECAR_URL overrides the declared sidecar and applies without one', () => {
      const resolve = tenantSidecarResolver(new Metrics('t'), url);
      expect(resolve(userNm()?.spec)).toBeInstanceOf(TenantSidecarClient);
      expect(resolve(userNm({ tenant: { type: 'kubesphere' } })?.spec)).toBe(resolve(undefined));
      expect(tenantSidecarResolver(new Metrics('t'))(userNm()?.spec)).toBeUndefined();
    });

    it('derives the declared URL as notification-manager does (localhost, port 19094 unless the container says otherwise)', () => {
      expect(tenantSidecarUrlOf({ sidecars: { tenant: { type: 'kubesphere' } } })).toBe('http://localhost:19094');
      expect(tenantSidecarUrlOf({ sidecars: { tenant: { type: 'x', ports: [{ containerPort: 8080 }] } } })).toBe('http://localhost:8080');
      expect(tenantSidecarUrlOf({ sidecars: { tenant: null } })).toBeUndefined();
      expect(tenantSidecarUrlOf({ sidecars: { other: { type: 'x' } } })).toBeUndefined();
      expect(tenantSidecarUrlOf(undefined)).toBeUndefined();
    });
  });
});
