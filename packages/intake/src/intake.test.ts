import { describe, expect, it } from '@jest/globals';
import type { Publisher, PublishOptions } from '@nm/bus';
import { IngestedBatchSchema } from '@nm/contracts';
import { chunkAlerts, normalizeAlertItems, withReceipt } from './alert.normalize.js';
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
  });
});
