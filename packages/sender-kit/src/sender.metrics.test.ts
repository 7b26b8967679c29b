import { describe, expect, it } from '@jest/globals';
import type { Notification } from '@nm/contracts';
import { Metrics } from '@nm/telemetry';
import { senderMetrics } from './sender.metrics.js';

const alertAt = (receivedAt: string) => ({ receivedAt }) as Notification['alerts'][number];

/** A histogram's series as prom-client reports them (`metricName` tells buckets, sum and count apart). */
type Series = { metricName?: string; labels: Record<string, string | number>; value: number };

describe('senderMetrics.delivered', () => {
  it('observes every alert once, from its own receive time, and the notification from its creation', async () => {
    const metrics = new Metrics('t', undefined, { defaultMetrics: false });
    const m = senderMetrics(metrics, 'webhook');
    const now = Date.parse('2026-12-03T10:00:10Z');
    const n = {
      createdAt: '2026-12-03T10:00:09Z',
      alerts: [alertAt('2026-12-03T10:00:00Z'), alertAt('2026-12-03T10:00:00Z'), alertAt('2026-12-03T10:00:08Z'), alertAt('not a time')],
    } as Notification;
    m.delivered(n, now);
    const alerts = (await metrics.registry.getSingleMetric('nm_alert_latency_seconds')!.get()).values as Series[];
    const of = (name: string, le?: number): number | undefined =>
      alerts.find((v) => v.metricName === name && v.labels['channel'] === 'webhook' && (le === undefined || v.labels['le'] === le))?.value;
    expect(of('nm_alert_latency_seconds_count')).toBe(3);
    expect(of('nm_alert_latency_seconds_sum')).toBe(22);
    expect(of('nm_alert_latency_seconds_bucket', 2.5)).toBe(1);
    expect(of('nm_alert_latency_seconds_bucket', 10)).toBe(3);
    const notification = (await metrics.registry.getSingleMetric('nm_notification_latency_seconds')!.get()).values as Series[];
    expect(notification.find((v) => v.metricName === 'nm_notification_latency_seconds_sum')?.value).toBe(1);
  });
});
