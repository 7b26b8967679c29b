/** What a sender measures, per channel. */
import type { Channel, Notification } from '@nm/contracts';
import type { Metrics } from '@nm/telemetry';

export type NotificationResult = 'delivered' | 'partial' | 'failed' | 'retry' | 'duplicate';

export interface SenderMetrics {
  /** `nm_notifications_total{result}`. */
  count(result: NotificationResult): void;
  /** `nm_notifications_skipped_total{reason}`: not sent on purpose. */
  skipped(reason: string): void;
  /** Starts timing one delivery (`nm_delivery_seconds`); call the result when it ends. */
  timeDelivery(): () => void;
  /** `nm_history_publish_failures_total`. */
  historyFailed(): void;
  /** Latency of a delivered notification from its creation, and of its alerts from ingest. */
  delivered(n: Notification, now?: number): void;
}

export function senderMetrics(metrics: Metrics, channel: Channel): SenderMetrics {
  const notifications = metrics.counter('nm_notifications_total', 'Notifications handled by senders, by result', ['channel', 'result'] as const);
  const skipped = metrics.counter('nm_notifications_skipped_total', 'Notifications not sent on purpose', ['channel', 'reason'] as const);
  const deliverySeconds = metrics.histogram('nm_delivery_seconds', 'Time a channel took to deliver one notification', ['channel'] as const);
  const latency = metrics.histogram(
    'nm_notification_latency_seconds',
    'From notification creation to its delivery',
    ['channel'] as const,
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  );
  // observed once per alert delivered: a series bound once, an observation adds to a bucket
  const alertLatency = metrics.fastHistogram(
    'nm_alert_latency_seconds',
    'From an alert being received at ingest to its delivery',
    ['channel'] as const,
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
  );
  const historyFailures = metrics.counter('nm_history_publish_failures_total', 'History records JetStream did not acknowledge', ['channel'] as const);
  const since = (iso: string, now: number): number | undefined => {
    const t = Date.parse(iso);
    return Number.isNaN(t) ? undefined : Math.max(0, now - t) / 1000;
  };
  // this channel's series, looked up once (not per observation: one per alert delivered)
  const alertLatencyOfChannel = alertLatency.labels({ channel });
  return {
    count: (result) => notifications.inc({ channel, result }),
    skipped: (reason) => skipped.inc({ channel, reason }),
    timeDelivery: () => deliverySeconds.startTimer({ channel }),
    historyFailed: () => historyFailures.inc({ channel }),
    delivered: (n, now = Date.now()) => {
      const s = since(n.createdAt, now);
      if (s !== undefined) latency.observe({ channel }, s);
      // alerts of one ingest request share their receive time: each distinct one is parsed once
      let lastAt: string | undefined;
      let last: number | undefined;
      for (const a of n.alerts) {
        if (a.receivedAt !== lastAt) {
          lastAt = a.receivedAt;
          last = since(a.receivedAt, now);
        }
        if (last !== undefined) alertLatencyOfChannel.observe(last);
      }
    },
  };
}
