import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { PAYLOAD_VERSION, subjectToken, type HistoryRecord } from '@nm/contracts';
import type { Publisher, StoredEntry, StreamReader } from '@nm/bus';
import { emptySnapshot, type ConfigSnapshot } from '@nm/model';
import { createHealth, createLogger, Metrics } from '@nm/telemetry';
import { createApiAccess, type ApiAuthMode } from './api.access.js';
import { createIngestApp } from './ingest.app.js';
import { KubeReviewUnavailableError, type KubeReviewer } from './kube.review.js';
import { createGuard, INGEST_PATHS, type Surface } from './http.guard.js';
import { TokenTable } from './token.source.js';

/**
 * Authentication and authorization of ingest's HTTP API (the app as it serves requests; streams
 * and the bus stubbed in memory).
 */

const NOW = new Date('2026-11-22T10:00:00Z');

const history = (tenant: string, n: number): StoredEntry => {
  const record: HistoryRecord = {
    version: PAYLOAD_VERSION,
    notificationId: `notif-${tenant}-${n}`,
    time: NOW.toISOString(),
    tenant,
    receiver: `${tenant}-hook`,
    channel: 'webhook',
    destination: 'http://127.0.0.1/hook',
    alertIds: [`a-${n}`],
    fingerprints: ['0123456789abcdef'],
    result: 'delivered',
    attempt: 1,
  };
  return { seq: n, subject: `nm.history.${subjectToken(tenant)}.webhook`, time: NOW.toISOString(), data: JSON.stringify(record) };
};

/** History of team-a and team-b; one dead letter. */
const reader: StreamReader = {
  latest: (stream, filter) => {
    if (stream === 'NM_HISTORY') {
      const all = [history('team-a', 1), history('team-b', 2)];
      const prefix = filter.replace(/[*>]$/, '');
      return Promise.resolve(all.filter((e) => e.subject.startsWith(prefix)));
    }
    return Promise.resolve([]);
  },
  get: () => Promise.resolve(null),
  remove: () => Promise.resolve(false),
};

const nmObject = (kind: string, name: string, extra: Record<string, unknown>) => ({ apiVersion: 'notification.kubesphere.io/v2beta2', kind, metadata: { name }, ...extra });
const snapshot: ConfigSnapshot = {
  ...emptySnapshot(7),
  notificationManager: nmObject('NotificationManager', 'notification-manager', {
    spec: {
      receivers: {
        tenantKey: 'namespace',
        globalReceiverSelector: { matchLabels: { type: 'global' } },
        tenantReceiverSelector: { matchLabels: { type: 'tenant' } },
      },
    },
  }) as unknown as ConfigSnapshot['notificationManager'],
  receivers: [
    { ...nmObject('Receiver', 'ops-pager', { spec: { webhook: { url: 'http://127.0.0.1/ops' } } }), metadata: { name: 'ops-pager', labels: { type: 'global' } } },
    { ...nmObject('Receiver', 'team-a-hook', { spec: { webhook: { url: 'http://127.0.0.1/a' } } }), metadata: { name: 'team-a-hook', labels: { type: 'tenant', namespace: 'team-a' } } },
  ] as unknown as ConfigSnapshot['receivers'],
};

async function setup(opts: { ingestTokens?: string[]; apiAuth?: ApiAuthMode; reviewer?: KubeReviewer; surface?: Surface } = {}) {
  const published: string[] = [];
  const publisher: Publisher = {
    publish: (subject, _payload, o) => {
      published.push(o.msgId);
      return Promise.resolve({ seq: published.length, duplicate: false });
    },
  };
  const ingestTokens = opts.ingestTokens ? await TokenTable.open({ name: 'NM_INGEST_TOKENS', tokens: opts.ingestTokens.map((token) => ({ token })) }) : undefined;
  const access = opts.apiAuth
    ? createApiAccess({
        mode: opts.apiAuth,
        adminTokens: await TokenTable.open({ name: 'NM_ADMIN_TOKENS', tokens: [{ token: 'admin-secret' }] }),
        tenantTokens: await TokenTable.open({ name: 'NM_TENANT_TOKENS', tokens: [{ token: 'team-a-secret', tenant: 'team-a' }], withTenant: true }),
        ...(opts.reviewer ? { reviewer: opts.reviewer } : {}),
        tenantKey: () => 'namespace',
      })
    : undefined;
  const metrics = new Metrics('t');
  const app = createIngestApp({
    publisher,
    logger: createLogger('t', 'silent'),
    metrics,
    health: createHealth(),
    snapshot: () => snapshot,
    maxBodyBytes: 1024 * 1024,
    maxMessageBytes: 1024 * 1024,
    streamReader: () => reader,
    now: () => NOW,
    ...(ingestTokens ? { ingestTokens } : {}),
    ...(access ? { access } : {}),
    ...(opts.surface ? { surface: opts.surface } : {}),
  });
  const denied = async (): Promise<string> => (await metrics.registry.getSingleMetricAsString('nm_api_requests_denied_total')) ?? '';
  return { app, published, denied };
}

const alerts = [{ labels: { alertname: 'A', namespace: 'team-a' } }];
const bearer = (token: string): [string, string] => ['authorization', `Bearer ${token}`];

describe('ingest authentication (NM_INGEST_TOKENS)', () => {
  it('401 without a token or with a wrong one (nothing published), 200 with a listed one', async () => {
    const { app, published, denied } = await setup({ ingestTokens: ['ingest-one', 'ingest-two'] });
    const none = await request(app).post('/api/v2/alerts').send(alerts);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="notification-manager"');
    expect(none.body).toEqual({ Status: 401, Message: expect.stringContaining('Authorization: Bearer') as unknown });
    expect((await request(app).post('/api/v2/alerts').set(...bearer('ingest-one-x')).send(alerts)).status).toBe(401);
    expect((await request(app).post('/api/v2/alerts').set('authorization', 'Basic aW5nZXN0LW9uZQ==').send(alerts)).status).toBe(401);
    expect(published).toEqual([]);
    expect((await request(app).post('/api/v2/alerts').set(...bearer('ingest-two')).send(alerts)).status).toBe(200);
    expect(published).toHaveLength(1);
    expect(await denied()).toContain('nm_api_requests_denied_total{surface="ingest",reason="unauthenticated"} 3');
  });

  it('refuses before reading the body: a 401 for an oversized unauthenticated POST, not a 413', async () => {
    const { app } = await setup({ ingestTokens: ['t'] });
    expect((await request(app).post('/api/v2/alerts').send('x'.repeat(2 * 1024 * 1024))).status).toBe(401);
  });

  it('unset: open; probes and metrics never need a token', async () => {
    const { app, published } = await setup({ apiAuth: 'token' });
    expect((await request(app).post('/api/v2/alerts').send(alerts)).status).toBe(200);
    expect(published).toHaveLength(1);
    for (const path of ['/-/healthy', '/-/live', '/metrics']) expect((await request(app).get(path)).status).toBe(200);
  });

  it('ingest tokens are not API tokens and the other way round', async () => {
    const { app } = await setup({ ingestTokens: ['ingest-one'], apiAuth: 'token' });
    expect((await request(app).get('/api/v2/dlq').set(...bearer('ingest-one'))).status).toBe(401);
    expect((await request(app).post('/api/v2/alerts').set(...bearer('admin-secret')).send(alerts)).status).toBe(401);
  });
});

describe('API authorization, token mode', () => {
  it('the DLQ: 401 without or with a wrong token, 403 for a tenant token, 200 for an admin token', async () => {
    const { app, denied } = await setup({ apiAuth: 'token' });
    for (const path of ['/api/v2/dlq', '/api/v2/dlq/1']) {
      const none = await request(app).get(path);
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="notification-manager"');
      expect((await request(app).get(path).set(...bearer('wrong'))).status).toBe(401);
      expect((await request(app).get(path).set(...bearer('team-a-secret'))).status).toBe(403);
    }
    expect((await request(app).post('/api/v2/dlq/1/replay').set(...bearer('team-a-secret'))).status).toBe(403);
    expect((await request(app).get('/api/v2/dlq').set(...bearer('admin-secret'))).status).toBe(200);
    expect((await request(app).get('/api/v2/dlq/1').set(...bearer('admin-secret'))).status).toBe(404); // passed, and no such dead letter
    expect(await denied()).toContain('reason="forbidden"} 3');
  });

  it('history: a tenant token reads its own tenant and nothing else; an admin reads any', async () => {
    const { app } = await setup({ apiAuth: 'token' });
    const own = await request(app).get('/api/v2/history?tenant=team-a').set(...bearer('team-a-secret'));
    expect(own.status).toBe(200);
    expect((own.body as { items: Array<{ tenant: string }> }).items.map((i) => i.tenant)).toEqual(['team-a']);
    const other = await request(app).get('/api/v2/history?tenant=team-b').set(...bearer('team-a-secret'));
    expect(other.status).toBe(403);
    expect((other.body as { Message: string }).Message).toBe('forbidden: tenant token of "team-a" may not GET /api/v2/history for tenant "team-b"');
    expect((await request(app).get('/api/v2/history?tenant=team-b'))).toMatchObject({ status: 401 });
    const admin = await request(app).get('/api/v2/history?tenant=team-b').set(...bearer('admin-secret'));
    expect((admin.body as { items: Array<{ tenant: string }> }).items.map((i) => i.tenant)).toEqual(['team-b']);
  });

  it('route dry run: an admin gets the whole report, a tenant only its own receivers', async () => {
    const { app } = await setup({ apiAuth: 'token' });
    const admin = await request(app).post('/api/v2/route').set(...bearer('admin-secret')).send({ labels: { alertname: 'A', namespace: 'team-a' } });
    expect(admin.status).toBe(200);
    const full = admin.body as { decision: { receivers: Array<{ name: string }> }; text: string };
    expect(full.decision.receivers.map((r) => r.name).sort()).toEqual(['ops-pager', 'team-a-hook']);
    expect(full.text).toContain('ops-pager');
    const tenant = await request(app).post('/api/v2/route').set(...bearer('team-a-secret')).send({ labels: { alertname: 'A', namespace: 'team-a' } });
    expect(tenant.status).toBe(200);
    expect(tenant.body).toEqual({ revision: 7, scope: 'tenant', decision: { receivers: [{ name: 'team-a-hook', channel: 'webhook', tenant: 'team-a' }] } });
    expect(JSON.stringify(tenant.body)).not.toContain('ops-pager');
    expect((await request(app).post('/api/v2/route').send({ labels: { alertname: 'A' } })).status).toBe(401);
  });

  it('route dry run takes the bodies ingest takes and explains every alert, scoped per alert for a tenant', async () => {
    const { app } = await setup({ apiAuth: 'token' });
    const payload = {
      receiver: 'kubesphere',
      status: 'firing',
      alerts: [
        { status: 'firing', labels: { alertname: 'A', namespace: 'team-a' }, annotations: {} },
        { status: 'firing', labels: { alertname: 'B' }, annotations: {} },
        { status: 'firing', labels: { alertname: 'C', namespace: 'team-b' }, annotations: {} },
      ],
    };
    const admin = await request(app).post('/api/v2/route').set(...bearer('admin-secret')).send(payload);
    expect(admin.status).toBe(200);
    const full = admin.body as { revision: number; alerts: Array<{ index: number; labels: Record<string, string>; decision: { receivers: Array<{ name: string }> }; text: string }> };
    expect(full.revision).toBe(7);
    expect(full.alerts.map((a) => [a.index, a.labels['alertname'], a.labels['cluster'], a.decision.receivers.map((r) => r.name).sort()])).toEqual([
      [0, 'A', 'default', ['ops-pager', 'team-a-hook']],
      [1, 'B', 'default', ['ops-pager']],
      [2, 'C', 'default', ['ops-pager']],
    ]);
    expect(full.alerts.every((a) => a.text.includes('ops-pager'))).toBe(true);
    const array = await request(app).post('/api/v2/route').set(...bearer('admin-secret')).send(payload.alerts.slice(1));
    expect((array.body as typeof full).alerts.map((a) => a.labels['alertname'])).toEqual(['B', 'C']);
    const tenant = await request(app).post('/api/v2/route').set(...bearer('team-a-secret')).send(payload);
    expect(tenant.body).toEqual({
      revision: 7,
      scope: 'tenant',
      alerts: [
        { index: 0, decision: { receivers: [{ name: 'team-a-hook', channel: 'webhook', tenant: 'team-a' }] } },
        { index: 1, decision: { receivers: [] } },
        { index: 2, decision: { receivers: [] } },
      ],
    });
    const bad = await request(app).post('/api/v2/route').set(...bearer('admin-secret')).send({ alerts: [{ labels: { alertname: 'A' } }, { labels: { alertname: 7 } }] });
    expect(bad.status).toBe(400);
    expect((bad.body as { Message: string }).Message).toContain('alerts[1].labels.alertname');
    const notJson = await request(app).post('/api/v2/route').set(...bearer('admin-secret')).set('content-type', 'application/json').send('{');
    expect(notJson.status).toBe(400);
  });

  it('any other path needs a token first (default deny), then answers as before', async () => {
    const { app } = await setup({ apiAuth: 'token' });
    expect((await request(app).get('/api/v2/receivers')).status).toBe(401);
    expect((await request(app).post('/api/v2/verify')).status).toBe(401);
    const receiver = (labels: Record<string, string>) => ({ receiver: { metadata: { name: 'r', labels }, spec: { webhook: { url: 'http://127.0.0.1/x' } } } });
    // verify and notifications: a tenant token for its own tenant's receivers only
    const global = await request(app).post('/api/v2/verify').set(...bearer('team-a-secret')).send(receiver({ type: 'global' }));
    expect(global.status).toBe(403);
    const otherTenant = await request(app).post('/api/v2/notifications').set(...bearer('team-a-secret')).send(receiver({ type: 'tenant', namespace: 'team-b' }));
    expect(otherTenant.status).toBe(403);
    // past authorization (this app has no bus: 503)
    const own = await request(app).post('/api/v2/verify').set(...bearer('team-a-secret')).send(receiver({ type: 'tenant', namespace: 'team-a' }));
    expect(own.status).toBe(503);
    expect((await request(app).post('/api/v2/verify').set(...bearer('admin-secret')).send(receiver({ type: 'global' }))).status).toBe(503);
    expect((await request(app).get('/api/v2/receivers').set(...bearer('admin-secret'))).status).toBe(404);
  });

  it('paths are matched as express routes them: without case and trailing slashes', async () => {
    const { app, published } = await setup({ ingestTokens: ['in'], apiAuth: 'token' });
    expect((await request(app).post('/api/v2/alerts/').send(alerts)).status).toBe(401);
    expect((await request(app).post('/api/v2/alerts/').set(...bearer('in')).send(alerts)).status).toBe(200);
    expect(published).toHaveLength(1);
    expect((await request(app).get('/API/v2/DLQ').set(...bearer('team-a-secret'))).status).toBe(403);
    expect((await request(app).get('/api/v2/dlq/').set(...bearer('team-a-secret'))).status).toBe(403);
    expect((await request(app).get('/api/v2/History/?tenant=team-b').set(...bearer('team-a-secret'))).status).toBe(403);
    expect((await request(app).get('/API/V2/DLQ').set(...bearer('admin-secret'))).status).toBe(200);
  });

  it('NM_API_AUTH=none: open', async () => {
    const { app } = await setup({ apiAuth: 'none' });
    expect((await request(app).get('/api/v2/dlq')).status).toBe(200);
  });
});

describe('API authorization, Kubernetes mode', () => {
  it('answers 503 with Retry-After when the API server cannot be asked, and 401 for a token it does not know', async () => {
    let down = true;
    const reviewer: KubeReviewer = {
      authenticate: (token) =>
        down ? Promise.reject(new KubeReviewUnavailableError('TokenReview failed: connect ECONNREFUSED')) : Promise.resolve(token === 'alice' ? { username: 'alice', groups: [] } : undefined),
      authorize: () => (down ? Promise.reject(new KubeReviewUnavailableError('down')) : Promise.resolve(false)),
    };
    const { app, denied } = await setup({ apiAuth: 'kubernetes', reviewer });
    const r = await request(app).get('/api/v2/dlq').set(...bearer('alice'));
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect((await request(app).get('/api/v2/dlq').set(...bearer('admin-secret'))).status).toBe(200); // static tokens need no API server
    down = false;
    expect((await request(app).get('/api/v2/dlq').set(...bearer('bob'))).status).toBe(401);
    expect((await request(app).get('/api/v2/dlq').set(...bearer('alice'))).status).toBe(403);
    expect(await denied()).toContain('reason="unavailable"} 1');
  });
});

describe('separate listeners (NM_ADMIN_PORT)', () => {
  it('the ingest surface serves alerts and probes only; the admin surface the API and probes only', async () => {
    const ingest = (await setup({ apiAuth: 'token', surface: 'ingest' })).app;
    const admin = (await setup({ apiAuth: 'token', surface: 'admin' })).app;
    expect((await request(ingest).post('/api/v2/alerts').send(alerts)).status).toBe(200);
    expect((await request(ingest).get('/api/v2/dlq').set(...bearer('admin-secret'))).status).toBe(404);
    expect((await request(ingest).post('/api/v2/route').set(...bearer('admin-secret')).send({ labels: { a: 'b' } })).status).toBe(404);
    expect((await request(admin).post('/api/v2/alerts').send(alerts)).status).toBe(404);
    expect((await request(admin).get('/api/v2/dlq').set(...bearer('admin-secret'))).status).toBe(200);
    for (const app of [ingest, admin]) expect((await request(app).get('/-/healthy')).status).toBe(200);
  });
});

describe('the ingest paths', () => {
  it('every POST that takes events in needs an ingest token, not an API token, and is not served on the admin port', async () => {
    const app = (surface: Surface) => {
      const a = express();
      const guard = createGuard({
        surface,
        ingestTokens: ingestTable,
        access: createApiAccess({ mode: 'token', adminTokens: adminTable, tenantKey: () => 'namespace' }),
        metrics: new Metrics('t'),
        logger: createLogger('t', 'silent'),
        reply: (res, status, message) => void res.status(status).json({ Status: status, Message: message }),
      });
      a.use(guard.middleware);
      a.post(/.*/, (_req, res) => void res.status(200).json({ ok: true }));
      return a;
    };
    const ingestTable = await TokenTable.open({ name: 'I', tokens: [{ token: 'in' }] });
    const adminTable = await TokenTable.open({ name: 'A', tokens: [{ token: 'adm' }] });
    expect([...INGEST_PATHS]).toEqual(['/api/v2/alerts', '/api/v2/audit', '/api/v2/cloudevents']);
    for (const path of INGEST_PATHS) {
      expect((await request(app('all')).post(path)).status).toBe(401);
      expect((await request(app('all')).post(path).set(...bearer('adm'))).status).toBe(401);
      expect((await request(app('all')).post(path).set(...bearer('in'))).status).toBe(200);
      expect((await request(app('ingest')).post(path).set(...bearer('in'))).status).toBe(200);
      expect((await request(app('admin')).post(path).set(...bearer('in'))).status).toBe(404);
    }
  });
});
