import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { IngestedBatchSchema, type IngestedBatch } from '@nm/contracts';
import { BusUnavailableError, type Publisher } from '@nm/bus';
import { emptySnapshot, fingerprint } from '@nm/model';
import { createHealth, createLogger, Metrics } from '@nm/telemetry';
import { createIngestApp } from './ingest.app.js';

function setup(opts: { failPublish?: boolean; maxBodyBytes?: number; maxMessageBytes?: number } = {}) {
  const published: Array<{ subject: string; payload: IngestedBatch; msgId: string }> = [];
  const publisher: Publisher = {
    publish: (subject, payload, o) => {
      if (opts.failPublish) return Promise.reject(new BusUnavailableError('down'));
      published.push({ subject, payload: IngestedBatchSchema.parse(payload), msgId: o.msgId });
      return Promise.resolve({ seq: published.length, duplicate: false });
    },
  };
  const app = createIngestApp({
    publisher,
    logger: createLogger('t', 'silent'),
    metrics: new Metrics('t'),
    health: createHealth(),
    snapshot: () => emptySnapshot(1),
    maxBodyBytes: opts.maxBodyBytes ?? 1024 * 1024,
    maxMessageBytes: opts.maxMessageBytes ?? 1024 * 1024,
    now: () => new Date('2026-11-22T10:00:00Z'),
  });
  return { app, published };
}

const alert = (labels: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ labels, annotations: { message: 'm' }, ...extra });

describe('POST /api/v2/alerts validation table', () => {
  const cases: Array<{ name: string; body: unknown; raw?: string; status: number; message: RegExp; publishedAlerts: number }> = [
    { name: 'webhook payload', body: { receiver: 'x', alerts: [alert({ alertname: 'A' })] }, status: 200, message: /^Notification request accepted$/, publishedAlerts: 1 },
    { name: 'API array', body: [alert({ alertname: 'A' }), alert({ alertname: 'B' })], status: 200, message: /accepted/, publishedAlerts: 2 },
    { name: 'not JSON', body: undefined, raw: '{nope', status: 400, message: /body is not valid JSON/, publishedAlerts: 0 },
    { name: 'wrong shape', body: { hello: 1 }, status: 400, message: /Alertmanager webhook payload/, publishedAlerts: 0 },
    { name: 'alerts not an array', body: { alerts: {} }, status: 400, message: /^alerts: must be an array/, publishedAlerts: 0 },
    { name: 'label value not a string', body: { alerts: [alert({ alertname: 'A', severity: 3 })] }, status: 400, message: /alerts\[0\]\.labels\.severity: must be a string, got number/, publishedAlerts: 0 },
    { name: 'no labels', body: [alert({})], status: 400, message: /\[0\]\.labels: must have at least one non-empty label/, publishedAlerts: 0 },
    { name: 'only empty labels', body: [alert({ a: '' })], status: 400, message: /\[0\]\.labels: must have at least one/, publishedAlerts: 0 },
    { name: 'bad startsAt', body: [alert({ a: 'b' }, { startsAt: 'yesterday' })], status: 400, message: /\[0\]\.startsAt: must be an RFC 3339 date-time, got "yesterday"/, publishedAlerts: 0 },
    { name: 'endsAt before startsAt', body: [alert({ a: 'b' }, { startsAt: '2026-01-02T00:00:00Z', endsAt: '2026-01-01T00:00:00Z' })], status: 400, message: /\[0\]\.endsAt: must not be before startsAt/, publishedAlerts: 0 },
    { name: 'bad status', body: [alert({ a: 'b' }, { status: 'burning' })], status: 400, message: /\[0\]\.status: must be "firing" or "resolved"/, publishedAlerts: 0 },
    { name: 'bad fingerprint', body: [alert({ a: 'b' }, { fingerprint: 'XYZ' })], status: 400, message: /\[0\]\.fingerprint: must be 16 lowercase hex digits/, publishedAlerts: 0 },
    { name: 'annotations not an object', body: [{ labels: { a: 'b' }, annotations: 'x' }], status: 400, message: /\[0\]\.annotations: must be an object/, publishedAlerts: 0 },
    { name: 'one bad among good keeps the good', body: [alert({ a: 'b' }), alert({ a: 1 })], status: 400, message: /^1 alert\(s\) accepted, 1 rejected: \[1\]\.labels\.a/, publishedAlerts: 1 },
  ];
  it.each(cases)('$name → $status', async (c) => {
    const { app, published } = setup();
    const res = await request(app)
      .post('/api/v2/alerts')
      .set('content-type', 'application/json')
      .send(c.raw ?? JSON.stringify(c.body));
    expect(res.status).toBe(c.status);
    expect(res.body.Status).toBe(c.status);
    expect(res.body.Message).toMatch(c.message);
    expect(published.flatMap((p) => p.payload.alerts)).toHaveLength(c.publishedAlerts);
  });

  it('413 on an oversized body, nothing published', async () => {
    const { app, published } = setup({ maxBodyBytes: 1000 });
    const res = await request(app).post('/api/v2/alerts').send(JSON.stringify([alert({ a: 'x'.repeat(2000) })]));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ Status: 413, Message: 'request body larger than 1000 bytes' });
    expect(published).toHaveLength(0);
  });

  it('503 when the bus is unavailable', async () => {
    const { app } = setup({ failPublish: true });
    const res = await request(app).post('/api/v2/alerts').send(JSON.stringify([alert({ a: 'b' })]));
    expect(res.status).toBe(503);
    expect(res.body.Status).toBe(503);
  });

  it('keeps every field, computes the fingerprint, defaults cluster, and derives status', async () => {
    const { app, published } = setup();
    const body = {
      receiver: 'am',
      externalURL: 'http://am:9093',
      alerts: [
        { labels: { alertname: 'A', namespace: 'ns1', empty: '' }, annotations: {}, generatorURL: 'http://prom/g', value: '42', startsAt: '2026-11-22T09:00:00Z' },
        { labels: { alertname: 'B' }, endsAt: '2026-11-22T09:30:00Z', fingerprint: '0123456789abcdef', status: 'resolved' },
      ],
    };
    const res = await request(app).post('/api/v2/alerts').send(JSON.stringify(body));
    expect(res.status).toBe(200);
    const [msg] = published;
    expect(msg!.payload.source).toBe('alertmanager-webhook');
    expect(msg!.payload.externalURL).toBe('http://am:9093');
    const [a, b] = msg!.payload.alerts;
    expect(a).toMatchObject({
      status: 'firing',
      labels: { alertname: 'A', namespace: 'ns1', cluster: 'default' },
      generatorURL: 'http://prom/g',
      value: '42',
      fingerprint: fingerprint({ alertname: 'A', namespace: 'ns1' }),
      endsAt: '0001-01-01T00:00:00Z',
    });
    expect(b).toMatchObject({ status: 'resolved', fingerprint: '0123456789abcdef', endsAt: '2026-11-22T09:30:00Z' });
    expect(a!.id).not.toBe(b!.id);
  });

  it('the same body twice gets the same message id (JetStream dedups a retried POST)', async () => {
    const { app, published } = setup();
    const raw = JSON.stringify([alert({ a: 'b' })]);
    await request(app).post('/api/v2/alerts').send(raw);
    await request(app).post('/api/v2/alerts').send(raw);
    expect(published[0]!.msgId).toBe(published[1]!.msgId);
  });

  it('splits large batches into chunks under the message limit', async () => {
    const { app, published } = setup({ maxMessageBytes: 4096 + 2000 });
    const alerts = Array.from({ length: 20 }, (_, i) => alert({ alertname: 'A', i: String(i), pad: 'p'.repeat(300) }));
    const res = await request(app).post('/api/v2/alerts').send(JSON.stringify(alerts));
    expect(res.status).toBe(200);
    expect(published.length).toBeGreaterThan(1);
    expect(published.flatMap((p) => p.payload.alerts)).toHaveLength(20);
    expect(new Set(published.map((p) => p.msgId)).size).toBe(published.length);
    for (const p of published) expect(p.payload.chunk.count).toBe(published.length);
    for (const p of published) expect(Buffer.byteLength(JSON.stringify(p.payload))).toBeLessThanOrEqual(4096 + 2000);
  });
});
