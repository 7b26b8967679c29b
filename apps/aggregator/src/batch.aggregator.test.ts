import { describe, expect, it } from '@jest/globals';
import { GLOBAL_TENANT, NotificationSchema, PAYLOAD_VERSION, type Alert, type Notification, type RoutedBatch } from '@nm/contracts';
import type { HandlerContext, Publisher } from '@nm/bus';
import { createLogger, Metrics } from '@nm/telemetry';
import { labelSetString } from '@nm/model';
import { BatchAggregator, notificationId } from './batch.aggregator.js';

const logger = createLogger('t', 'silent');
const ctx = { logger } as unknown as HandlerContext;
let n = 0;
const alert = (labels: Record<string, string>): Alert => ({
  id: `a${++n}`,
  status: 'firing',
  labels,
  annotations: {},
  startsAt: '2026-11-22T00:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  fingerprint: '0123456789abcdef',
  receivedAt: '2026-11-22T00:00:00Z',
});
const batch = (alerts: Alert[], receivers: RoutedBatch['receivers'] = [{ name: 'r', channel: 'webhook', tenant: 'ns1' }]): RoutedBatch => ({
  version: PAYLOAD_VERSION,
  batchId: 'b',
  chunk: { index: 0, count: 1 },
  source: 'alerts-array',
  receivedAt: '2026-11-22T00:00:00Z',
  receivers,
  routes: alerts.map((a) => ({ alert: a, receivers: receivers.map((_, i) => i) })),
});

function setup(settings = { groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 50 }, fail = false) {
  const published: Notification[] = [];
  const publisher: Publisher = {
    publish: (_s, p, o) => {
      if (fail) return Promise.reject(new Error('nats down'));
      const parsed = NotificationSchema.parse(p);
      expect(o.msgId).toBe(parsed.id);
      published.push(parsed);
      return Promise.resolve({ seq: published.length, duplicate: false });
    },
  };
  const agg = new BatchAggregator({ publisher, settings: () => settings, logger, metrics: new Metrics('t') });
  return { agg, published };
}

describe('BatchAggregator', () => {
  it('groups per receiver by groupLabels across messages, flushes after the wait, then resolves the handlers', async () => {
    const { agg, published } = setup();
    const t0 = Date.now();
    const h1 = agg.handle(batch([alert({ alertname: 'A', pod: '1' }), alert({ alertname: 'B' })]), ctx);
    const h2 = agg.handle(batch([alert({ alertname: 'A', pod: '2' })]), ctx);
    expect(published).toHaveLength(0);
    await Promise.all([h1, h2]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(published.map((p) => [p.groupLabels, p.alerts.length])).toEqual([
      [{ alertname: 'A' }, 2],
      [{ alertname: 'B' }, 1],
    ]);
    expect(published[0]!.groupKey).toBe('webhook/r:{alertname="A"}');
    expect(agg.openGroups()).toBe(0);
  });

  it('keeps receivers apart and a redelivered message adds nothing twice', async () => {
    const { agg, published } = setup();
    const a = alert({ alertname: 'A' });
    const receivers = [
      { name: 'r1', channel: 'webhook' as const, tenant: 'ns1' },
      { name: 'g', channel: 'webhook' as const, tenant: GLOBAL_TENANT },
    ];
    await Promise.all([agg.handle(batch([a], receivers), ctx), agg.handle(batch([a], receivers), ctx)]);
    expect(published.map((p) => `${p.receiver.name}:${p.alerts.length}`).sort()).toEqual(['g:1', 'r1:1']);
  });

  it('flushes at batchMaxSize at once and splits into parts of at most batchMaxSize', async () => {
    const { agg, published } = setup({ groupLabels: [], batchMaxSize: 3, batchMaxWaitMs: 60_000 });
    await agg.handle(batch([1, 2, 3, 4, 5, 6, 7].map((i) => alert({ alertname: 'X', i: String(i) }))), ctx);
    expect(published.map((p) => [p.alerts.length, p.part])).toEqual([
      [3, { index: 0, count: 3 }],
      [3, { index: 1, count: 3 }],
      [1, { index: 2, count: 3 }],
    ]);
    expect(new Set(published.map((p) => p.id)).size).toBe(3);
  });

  it('rejects the contributing handlers when publishing fails (so their messages are redelivered)', async () => {
    const { agg } = setup(undefined, true);
    await expect(agg.handle(batch([alert({ alertname: 'A' })]), ctx)).rejects.toThrow('nats down');
  });

  it('gives the same id to the same receiver, group and alerts', () => {
    const r = { name: 'r', channel: 'webhook' as const, tenant: 't' };
    expect(notificationId(r, 'k', ['a', 'b'], 0)).toBe(notificationId(r, 'k', ['b', 'a'], 0));
    expect(notificationId(r, 'k', ['a', 'b'], 0)).not.toBe(notificationId(r, 'k', ['a', 'c'], 0));
    expect(labelSetString({ b: '2', a: '1' })).toBe('{a="1", b="2"}');
  });
});
