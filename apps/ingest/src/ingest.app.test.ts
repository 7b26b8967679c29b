import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { IngestedBatchSchema, type IngestedBatch } from '@nm/contracts';
import { BusUnavailableError, type Publisher } from '@nm/bus';
import { emptySnapshot, fingerprint } from '@nm/model';
import { createHealth, createLogger, Metrics } from '@nm/telemetry';
import { collected, waitFor } from '@nm/testing';
import { alertId, type IngestLimits } from './alert.normalize.js';
import { createIngestApp } from './ingest.app.js';
import type { StreamFill } from './stream.fill.js';
import type { ReceiptRecord, ReceiptStore } from './receipt.store.js';

function setup(
  opts: {
    failPublish?: boolean | Error;
    maxBodyBytes?: number;
    maxMessageBytes?: number;
    limits?: Partial<IngestLimits>;
    fill?: number;
    /** Instead of the recording publisher. */
    publisher?: Publisher;
    receipts?: ReceiptStore;
    snapshot?: () => ReturnType<typeof emptySnapshot>;
  } = {},
) {
  const published: Array<{ subject: string; payload: IngestedBatch; msgId: string }> = [];
  const publisher: Publisher = {
    publish: (subject, payload, o) => {
      if (opts.failPublish) return Promise.reject(opts.failPublish instanceof Error ? opts.failPublish : new BusUnavailableError('down'));
      published.push({ subject, payload: IngestedBatchSchema.parse(payload), msgId: o.msgId });
      return Promise.resolve({ seq: published.length, duplicate: false });
    },
  };
  const metrics = new Metrics('t');
  const app = createIngestApp({
    publisher: opts.publisher ?? publisher,
    logger: createLogger('t', 'silent'),
    metrics,
    health: createHealth(),
    snapshot: opts.snapshot ?? (() => emptySnapshot(1)),
    ...(opts.receipts ? { receipts: opts.receipts } : {}),
    maxBodyBytes: opts.maxBodyBytes ?? 1024 * 1024,
    maxMessageBytes: opts.maxMessageBytes ?? 1024 * 1024,
    limits: opts.limits,
    ...(opts.fill === undefined
      ? {}
      : {
          streamFill: (): Promise<StreamFill> =>
            Promise.resolve({ fraction: opts.fill!, messages: opts.fill! * 100, maxMsgs: 100, bytes: 0, maxBytes: -1 }),
        }),
    now: () => new Date('2026-11-22T10:00:00Z'),
  });
  return { app, published, metrics };
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

  it('503 with Retry-After when the bus is unavailable', async () => {
    const { app } = setup({ failPublish: true });
    const res = await request(app).post('/api/v2/alerts').send(JSON.stringify([alert({ a: 'b' })]));
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ Status: 503, Message: 'message bus unavailable, retry later' });
    expect(res.headers['retry-after']).toBe('5');
  });

  it('503 with Retry-After when JetStream refuses the publish because the stream is full', async () => {
    const full = new BusUnavailableError('publish to nm.alerts.ingested failed: maximum messages exceeded', {
      cause: new Error('maximum messages exceeded'),
    });
    const { app } = setup({ failPublish: full });
    const res = await request(app).post('/api/v2/alerts').send(JSON.stringify([alert({ a: 'b' })]));
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ Status: 503, Message: 'alert stream is full, retry later' });
    expect(res.headers['retry-after']).toBe('5');
  });

  it('503 with Retry-After above the high-water mark of the first stream, nothing published', async () => {
    const { app, published } = setup({ fill: 0.95 });
    const res = await request(app).post('/api/v2/alerts').send(JSON.stringify([alert({ a: 'b' })]));
    expect(res.status).toBe(503);
    expect(res.body.Message).toBe('alert stream is 95% full (high-water mark 0.9), retry later');
    expect(res.headers['retry-after']).toBe('5');
    expect(published).toHaveLength(0);
    const below = setup({ fill: 0.85 });
    expect((await request(below.app).post('/api/v2/alerts').send(JSON.stringify([alert({ a: 'b' })]))).status).toBe(200);
    expect(below.published).toHaveLength(1);
  });

  it('an invalid request is answered 400 even when the stream is above the high-water mark', async () => {
    const { app } = setup({ fill: 1 });
    expect((await request(app).post('/api/v2/alerts').send('{nope')).status).toBe(400);
  });

  it('keeps every field, computes the fingerprint, defaults cluster, and derives status (counted by status)', async () => {
    const { app, published, metrics } = setup();
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
    const received = (await metrics.registry.getSingleMetric('nm_ingest_alerts_received_total')!.get()).values;
    expect(received.map((v) => [v.labels['status'], v.value]).sort()).toEqual([
      ['firing', 1],
      ['resolved', 1],
    ]);
  });

  it('every POST is a new receipt: batch id, message ids and alert ids derive from a random receipt id', async () => {
    const { app, published } = setup();
    const raw = JSON.stringify([alert({ a: 'b' }), alert({ a: 1 }), alert({ a: 'c' })]);
    const first = await request(app).post('/api/v2/alerts').send(raw);
    const second = await request(app).post('/api/v2/alerts').send(raw);
    expect([first.status, second.status]).toEqual([400, 400]);
    expect(published).toHaveLength(2);
    const [a, b] = published;
    expect(a!.payload.batchId).toMatch(/^[0-9a-f]{32}$/);
    expect(a!.payload.batchId).not.toBe(b!.payload.batchId);
    expect(first.headers['x-nm-receipt-id']).toBe(a!.payload.batchId);
    for (const p of published) {
      expect(p.msgId).toBe(`${p.payload.batchId}-0`);
      // ids keep the alert's position in the request (the invalid one at 1 is skipped)
      expect(p.payload.alerts.map((x) => x.id)).toEqual([alertId(p.payload.batchId, 0), alertId(p.payload.batchId, 2)]);
    }
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

describe('POST /api/v2/alerts input limits', () => {
  const post = (app: ReturnType<typeof setup>['app'], body: unknown) =>
    request(app).post('/api/v2/alerts').set('content-type', 'application/json').send(JSON.stringify(body));
  const labels = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, 'v']));

  const cases: Array<{ name: string; limits?: Partial<IngestLimits>; body: unknown; message: RegExp; kept?: Record<string, string> }> = [
    {
      name: '5,000 labels (default limit 128)',
      body: { alerts: [alert({ alertname: 'ok' }), alert(labels(5000))] },
      message: /^1 alert\(s\) accepted, 1 rejected: alerts\[1\]\.labels: 5000 labels, more than the limit of 128 \(NM_INGEST_MAX_LABELS\)$/,
    },
    {
      name: 'label name bytes',
      body: [alert({ alertname: 'ok' }), alert({ alertname: 'x', ['n'.repeat(1025)]: 'v' })],
      message: /rejected: \[1\]\.labels: a label name of 1025 bytes \("n{32}"…\), more than the limit of 1024 \(NM_INGEST_MAX_LABEL_NAME_BYTES\)$/,
    },
    {
      name: 'label value bytes (UTF-8)',
      body: [alert({ alertname: 'ok' }), alert({ alertname: 'x', big: 'é'.repeat(8193) })],
      message: /rejected: \[1\]\.labels\.big: value of 16386 bytes, more than the limit of 16384 \(NM_INGEST_MAX_LABEL_VALUE_BYTES\)$/,
    },
    {
      name: 'annotation value bytes',
      body: [alert({ alertname: 'ok' }), { labels: { alertname: 'x' }, annotations: { description: 'd'.repeat(64 * 1024 + 1) } }],
      message: /rejected: \[1\]\.annotations\.description: value of 65537 bytes, more than the limit of 65536 \(NM_INGEST_MAX_ANNOTATION_VALUE_BYTES\)$/,
    },
    {
      name: 'annotations bytes in all',
      limits: { maxAnnotationsBytes: 1000 },
      body: [alert({ alertname: 'ok' }), { labels: { alertname: 'x' }, annotations: { a: 'x'.repeat(600), b: 'y'.repeat(600) } }],
      message: /rejected: \[1\]\.annotations: 1202 bytes in all, more than the limit of 1000 \(NM_INGEST_MAX_ANNOTATIONS_BYTES\)$/,
    },
    {
      name: 'configured label limit',
      limits: { maxLabels: 3 },
      body: [alert({ alertname: 'ok', b: '2', c: '3' }), alert({ a: '1', b: '2', c: '3', d: '4' })],
      message: /rejected: \[1\]\.labels: 4 labels, more than the limit of 3 \(NM_INGEST_MAX_LABELS\)$/,
      kept: { alertname: 'ok', b: '2', c: '3' },
    },
  ];
  it.each(cases)('$name → 400 naming the limit and the alert, the valid alert kept', async (c) => {
    const { app, published } = setup({ limits: c.limits, maxBodyBytes: 4 * 1024 * 1024 });
    const res = await post(app, c.body);
    expect(res.status).toBe(400);
    expect(res.body.Message).toMatch(c.message);
    const kept = published.flatMap((p) => p.payload.alerts);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.labels).toEqual({ ...(c.kept ?? { alertname: 'ok' }), cluster: 'default' });
  });

  it('only over-limit alerts: 400 and nothing published', async () => {
    const { app, published } = setup({ maxBodyBytes: 4 * 1024 * 1024 });
    const res = await post(app, [alert(labels(5000))]);
    expect(res.status).toBe(400);
    expect(res.body.Message).toMatch(/^0 alert\(s\) accepted, 1 rejected: \[0\]\.labels: 5000 labels.*NM_INGEST_MAX_LABELS/);
    expect(published).toHaveLength(0);
  });

  it('alerts per request over NM_INGEST_MAX_ALERTS: the whole request is 413, nothing published', async () => {
    const { app, published } = setup({ maxBodyBytes: 16 * 1024 * 1024 });
    const body = Array.from({ length: 50_001 }, (_, i) => ({ labels: { i: String(i) } }));
    const res = await post(app, body);
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ Status: 413, Message: 'body: 50001 alerts in one request, more than the limit of 50000 (NM_INGEST_MAX_ALERTS)' });
    expect(published).toHaveLength(0);
    const small = setup({ limits: { maxAlerts: 2 } });
    const r2 = await post(small.app, { alerts: [alert({ a: '1' }), alert({ a: '2' }), alert({ a: '3' })] });
    expect(r2.status).toBe(413);
    expect(r2.body.Message).toBe('alerts: 3 alerts in one request, more than the limit of 2 (NM_INGEST_MAX_ALERTS)');
  });

  it('a 9,000-alert request passes the default limits', async () => {
    const { app, published } = setup({ maxBodyBytes: 16 * 1024 * 1024 });
    const body = { receiver: 'am', alerts: Array.from({ length: 9000 }, (_, i) => alert({ alertname: 'Big', pod: `pod-${i}`, namespace: `ns-${i % 50}` })) };
    const res = await post(app, body);
    expect(res.status).toBe(200);
    expect(published.flatMap((p) => p.payload.alerts)).toHaveLength(9000);
  });

  it('a long list of problems is cut after 20, with the rest counted', async () => {
    const { app } = setup();
    const res = await post(app, Array.from({ length: 25 }, () => alert({ a: 1 })));
    expect(res.status).toBe(400);
    expect(res.body.Message).toMatch(/^0 alert\(s\) accepted, 25 rejected: .*\[19\]\.labels\.a: must be a string, got number; … and 5 more$/);
  });
});

describe('memory while JetStream acknowledges', () => {
  it('keeps none of a request\'s alerts while their chunks wait for the acknowledgement', async () => {
    let ref: WeakRef<object> | undefined;
    let ack!: () => void;
    const acked = new Promise<void>((r) => (ack = r));
    const publisher: Publisher = {
      // keeps nothing of the payload itself: a weak reference to one of its alerts
      publish: (_subject, payload) => {
        ref ??= new WeakRef((payload as IngestedBatch).alerts[0]!);
        return acked.then(() => ({ seq: 1, duplicate: false }));
      },
    };
    const { app } = setup({ publisher });
    const answered = request(app)
      .post('/api/v2/alerts')
      .set('content-type', 'application/json')
      .send(JSON.stringify(Array.from({ length: 50 }, (_, i) => alert({ alertname: 'A', pod: `p${i}` }))))
      .then((r) => r);
    await waitFor('the publish', () => ref !== undefined);
    const gone = await collected(ref!);
    ack(); // before the assertion: a failing one must not leave the request open
    expect(gone).toBe(true); // under load, alerts held here outlive young collections
    expect((await answered).status).toBe(200);
  });
});

describe('memory while the dedup record is claimed', () => {
  it('decodes a request only once its dedup claim answered: nothing parsed waits on Redis', async () => {
    let claims = 0;
    let answer!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    const records = new Map<string, ReceiptRecord>();
    const receipts: ReceiptStore = {
      claim: async (key, receiptId, bodyHash) => {
        claims += 1;
        await answered;
        const had = records.get(key);
        if (!had) records.set(key, { receiptId, state: 'pending', bodyHash });
        return had;
      },
      markDone: (key, receiptId, bodyHash) => {
        records.set(key, { receiptId, state: 'done', bodyHash });
        return Promise.resolve();
      },
      release: () => Promise.resolve(),
    };
    let decoded = 0;
    const published: string[] = [];
    const { app } = setup({
      publisher: {
        publish: (_subject, _payload, o) => {
          published.push(o.msgId);
          return Promise.resolve({ seq: published.length, duplicate: false });
        },
      },
      // read when the body is decoded (the cluster name of the alerts), and only then
      snapshot: () => {
        decoded += 1;
        return emptySnapshot(1);
      },
      receipts,
    });
    const response = request(app)
      .post('/api/v2/alerts')
      .set('content-type', 'application/json')
      .send(JSON.stringify([alert({ alertname: 'A' })]))
      .then((r) => r);
    await waitFor('the claim', () => claims === 1);
    await new Promise((r) => setTimeout(r, 20));
    const decodedWhileClaiming = decoded;
    answer(); // before the assertion: a failing one must not leave the request open
    expect(decodedWhileClaiming).toBe(0);
    expect((await response).status).toBe(200);
    expect(decoded).toBe(1);
    expect(published).toHaveLength(1);
  });
});
