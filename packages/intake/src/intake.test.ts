import { describe, expect, it } from '@jest/globals';
import type { Publisher, PublishOptions } from '@nm/bus';
import { IngestedBatchSchema } from '@nm/contracts';
import { alertId, chunkAlerts, goLocalTime, normalizeAlertItems, withReceipt } from './alert.normalize.js';
import { publishIngested } from './batch.publish.js';

const now = new Date('2024-05-01T10:00:00Z');

describe('normalizeAlertItems', () => {
  it('keeps the valid alerts, names the invalid ones under the prefix, defaults cluster and computes fingerprints', () => {
    const r = normalizeAlertItems(
      [{ labels: { alertname: 'A', namespace: 'team-a' }, annotations: { message: 'm' } }, { labels: { alertname: 3 } }, { labels: { alertname: 'B', cluster: 'east' }, startsAt: '2024-05-01T09:00:00Z' }],
      { now, cluster: 'home', prefix: 'items' },
    );
    expect(r.problems).toEqual(['items[1].labels.alertname: must be a string, got number']);
    expect(r.indexes).toEqual([0, 2]);
    expect(r.alerts.map((a) => [a.labels['cluster'], a.status, a.startsAt, a.fingerprint.length])).toEqual([
      ['home', 'firing', '2024-05-01T10:00:00.000Z', 16],
      ['east', 'firing', '2024-05-01T09:00:00Z', 16],
    ]);
  });

  it('keeps a label or annotation named __proto__ as data (an object key like any other), in the fingerprint and on the wire', () => {
    const body = JSON.parse('[{"labels":{"alertname":"A","__proto__":"p"},"annotations":{"__proto__":"q"}},{"labels":{"alertname":"A"}}]') as unknown[];
    const r = normalizeAlertItems(body, { now, cluster: 'c' });
    expect(r.problems).toEqual([]);
    const [withIt, without] = r.alerts;
    expect(Object.getPrototypeOf(withIt!.labels)).toBe(Object.prototype);
    expect(Object.keys(withIt!.labels).sort()).toEqual(['__proto__', 'alertname', 'cluster']);
    expect(Object.getOwnPropertyDescriptor(withIt!.labels, '__proto__')?.value).toBe('p');
    expect(Object.getOwnPropertyDescriptor(withIt!.annotations, '__proto__')?.value).toBe('q');
    expect(withIt!.fingerprint).not.toBe(without!.fingerprint);
    const again = JSON.parse(JSON.stringify(withIt)) as { labels: object };
    expect(Object.getOwnPropertyDescriptor(again.labels, '__proto__')?.value).toBe('p');
  });
});

describe('normalizeAlertItems: the fields of an alert', () => {
  const items = [
    { labels: { alertname: 'A', empty: '', b: 'x' }, generatorURL: 'http://prom/g', annotations: { m: '' } },
    { value: '42', labels: { alertname: 'A' }, generatorURL: 'http://prom/g', startsAt: '2024-05-01T09:00:00Z' },
    { labels: { alertname: 'A' }, generatorURL: null },
    { labels: { alertname: 'A', '': 'v' } },
    { labels: { empty: '' } },
  ];

  it('keeps every field in the order it came, the normalised ones after the others, and drops empty label values', () => {
    const r = normalizeAlertItems(items, { now, cluster: 'c' });
    expect(r.problems).toEqual(['[3].labels: label names must not be empty', '[4].labels: must have at least one non-empty label']);
    const [common, extra, nullUrl] = r.alerts;
    const normalised = ['id', 'status', 'labels', 'annotations', 'startsAt', 'endsAt', 'fingerprint', 'receivedAt'];
    expect(Object.keys(common!)).toEqual(['generatorURL', ...normalised]);
    expect(common!.labels).toEqual({ alertname: 'A', b: 'x', cluster: 'c' });
    expect(Object.keys(common!.labels)).toEqual(['alertname', 'b', 'cluster']);
    expect(common!.annotations).toEqual({ m: '' });
    expect(Object.keys(extra!)).toEqual(['value', 'generatorURL', ...normalised]);
    expect(extra).toMatchObject({ value: '42', generatorURL: 'http://prom/g', startsAt: '2024-05-01T09:00:00Z' });
    expect(Object.keys(nullUrl!)).toEqual(['generatorURL', ...normalised]);
    expect(nullUrl!.generatorURL).toBeNull();
  });

  it('fingerprints the label set without the empty values', () => {
    const [withEmpty, without] = normalizeAlertItems([items[0], { labels: { alertname: 'A', b: 'x' } }], { now, cluster: 'c' }).alerts;
    expect(withEmpty!.fingerprint).toBe(without!.fingerprint);
  });
});

describe('publishIngested', () => {
  it('publishes one IngestedBatch per chunk to nm.alerts.ingested with <receipt>-<chunk> message ids', async () => {
    const sent: Array<{ subject: string; payload: unknown; opts: PublishOptions }> = [];
    const publisher: Publisher = {
      publish: (subject, payload, opts) => {
        sent.push({ subject, payload, opts });
        return Promise.resolve({ seq: sent.length, duplicate: false });
      },
    };
    const items = Array.from({ length: 30 }, (_, i) => ({ labels: { alertname: `A${i}` }, annotations: { message: 'x'.repeat(100) } }));
    const normalized = normalizeAlertItems(items, { now, cluster: 'c' });
    const alerts = withReceipt({ ...normalized, source: 'api' }, 'r1');
    const { chunks } = chunkAlerts(alerts, 2000);
    expect(chunks.length).toBeGreaterThan(1);
    await publishIngested(publisher, { batchId: 'r1', source: 'api', receivedAt: now.toISOString() }, chunks, { traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01' });
    expect(sent.map((s) => [s.subject, s.opts.msgId])).toEqual(chunks.map((_, i) => ['nm.alerts.ingested', `r1-${i}`]));
    for (const s of sent) expect(IngestedBatchSchema.safeParse(s.payload).success).toBe(true);
    expect(sent.flatMap((s) => (s.payload as { alerts: Array<{ id: string }> }).alerts.map((a) => a.id))).toEqual(alerts.map((a) => a.id));
    expect(sent.every((s) => s.opts.encoded === undefined)).toBe(true); // no texts given: the publisher serialises
    // each message says how many alerts it carries (Nm-Alert-Count): a stage that needs nothing else forwards it undecoded
    expect(sent.map((s) => s.opts.alertCount)).toEqual(chunks.map((c) => c.length));
  });

  it("builds each message's bytes from the alerts' JSON chunkAlerts measured: exactly what serialising the message gives", async () => {
    const sent: Array<{ payload: unknown; opts: PublishOptions }> = [];
    const publisher: Publisher = {
      publish: (_subject, payload, opts) => {
        sent.push({ payload, opts });
        return Promise.resolve({ seq: sent.length, duplicate: false });
      },
    };
    const items = Array.from({ length: 40 }, (_, i) => ({
      labels: { alertname: `A${i}`, 'ünï': 'côdé \u2028 "quoted" \\ 𝄞', alerts: '[]}' },
      annotations: { message: `line\nbreak ${'x'.repeat(i * 7)}` },
      generatorURL: 'http://prometheus/graph?g0.expr=up%3D%3D0',
    }));
    const normalized = normalizeAlertItems(items, { now, cluster: 'c' });
    const alerts = withReceipt({ ...normalized, source: 'alertmanager-webhook' }, 'r2');
    const { chunks, alertsJson } = chunkAlerts(alerts, 3000);
    expect(chunks.length).toBeGreaterThan(2);
    expect(alertsJson.map((t) => (JSON.parse(t) as unknown[]).length)).toEqual(chunks.map((c) => c.length));
    for (const t of alertsJson) expect(Buffer.byteLength(t)).toBeLessThanOrEqual(3001);
    await publishIngested(publisher, { batchId: 'r2', source: 'alertmanager-webhook', receivedAt: now.toISOString(), externalURL: 'http://am:9093', upstreamReceiver: 'nm', upstreamGroupKey: '{}:{alertname="A"}' }, chunks, { alertsJson });
    expect(sent).toHaveLength(chunks.length);
    for (const s of sent) {
      expect(s.opts.encoded).toBeDefined();
      expect(Buffer.from(s.opts.encoded!).toString('utf8')).toBe(JSON.stringify(s.payload));
      expect(IngestedBatchSchema.safeParse(JSON.parse(Buffer.from(s.opts.encoded!).toString('utf8'))).success).toBe(true);
    }
  });

  it('serialises a request that fits one message as one array, and splits one that does not at the same bytes', () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ labels: { alertname: `A${i}`, 'ünï': 'côdé 𝄞' }, annotations: { m: 'x'.repeat(20) } }));
    const alerts = withReceipt({ ...normalizeAlertItems(items, { now, cluster: 'c' }), source: 'alertmanager-webhook' }, 'r3');
    const exact = Buffer.byteLength(JSON.stringify(alerts)) - 1; // the most a chunk of all of them may count
    const one = chunkAlerts(alerts, exact);
    expect(one.chunks).toEqual([alerts]);
    expect(one.alertsJson).toEqual([JSON.stringify(alerts)]);
    const split = chunkAlerts(alerts, exact - 1);
    expect(split.chunks.length).toBe(2);
    expect(split.chunks.flat()).toEqual(alerts);
    expect(split.alertsJson.map((j) => JSON.parse(j) as unknown)).toEqual(split.chunks.map((c) => JSON.parse(JSON.stringify(c)) as unknown));
    const alone = Buffer.byteLength(JSON.stringify(alerts[0])) + 1;
    expect(chunkAlerts(alerts.slice(0, 1), alone - 1).oversized).toEqual([0]);
    expect(chunkAlerts(alerts.slice(0, 1), alone).chunks).toHaveLength(1);
  });
});

describe('alert ids', () => {
  it('are 16 hex digits, stable per receipt and index, distinct within a request of the largest size and between receipts', () => {
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(32);
    const ids = new Set<string>();
    for (let i = 0; i < 50_000; i++) ids.add(alertId(a, i));
    expect(ids.size).toBe(50_000);
    expect([...ids].filter((id) => !/^[0-9a-f]{16}$/.test(id))).toEqual([]);
    expect(alertId(a, 7)).toBe(alertId(a, 7));
    for (let i = 0; i < 1000; i++) expect(ids.has(alertId(b, i))).toBe(false);
  });

  it('are the same in every version (replicas of two versions re-publishing one receipt must agree)', () => {
    const receipt = '0123456789abcdef0123456789abcdef';
    expect([0, 1, 199].map((i) => alertId(receipt, i))).toEqual(['1372251463fcfcf4', '73779d796df81a42', '73b426be7c0f8f4b']);
  });

  it('withReceipt gives each alert the id of its place in the request', () => {
    const { alerts, indexes } = normalizeAlertItems([{ labels: { a: '1' } }, { labels: {} }, { labels: { a: '3' } }], { now: new Date(), cluster: 'c' });
    const batch = { source: 'alerts-array' as const, alerts, indexes, problems: [], total: 3, overLimit: 0, pathOf: (i: number) => `[${i}]` };
    expect(withReceipt(batch, 'r1').map((x) => x.id)).toEqual([alertId('r1', 0), alertId('r1', 2)]);
  });
});

describe('goLocalTime', () => {
  it('formats Go\'s local time String() shape, the same for the same instant and new for another', () => {
    const d = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    const text = goLocalTime(d);
    expect(text).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}000000 [+-]\d{4} \S+$/);
    expect(goLocalTime(new Date(d.getTime()))).toBe(text);
    expect(goLocalTime(new Date(d.getTime() + 1000))).not.toBe(text);
  });
});

describe('size limits', () => {
  it('counts UTF-8 bytes, not characters, against the limits', () => {
    const limits = { maxAlerts: 10, maxLabels: 10, maxLabelNameBytes: 8, maxLabelValueBytes: 9, maxAnnotationValueBytes: 100, maxAnnotationsBytes: 12 };
    const r = normalizeAlertItems(
      [
        { labels: { a: 'ééé' } }, // 6 bytes: fits
        { labels: { a: 'éééé€' } }, // 11 bytes in 5 characters: over 9
        { labels: { a: '1' }, annotations: { k: '€€€€' } }, // 1 + 12 bytes in all: over 12
        { labels: { a: '1' }, annotations: { k: 'abcdefghijk' } }, // 12 bytes: fits
      ],
      { now: new Date(), cluster: 'c', limits },
    );
    expect(r.indexes).toEqual([0, 3]);
    expect(r.problems).toEqual([
      '[1].labels.a: value of 11 bytes, more than the limit of 9 (NM_INGEST_MAX_LABEL_VALUE_BYTES)',
      '[2].annotations: 13 bytes in all, more than the limit of 12 (NM_INGEST_MAX_ANNOTATIONS_BYTES)',
    ]);
  });
});
