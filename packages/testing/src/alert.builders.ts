import { ZERO_TIME } from '@nm/contracts';

export interface PostableAlert {
  status?: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
  fingerprint?: string;
  [extra: string]: unknown;
}

let seq = 0;

/** A firing alert with sensible defaults; override anything. */
export function buildAlert(overrides: Partial<PostableAlert> & { labels?: Record<string, string> } = {}): PostableAlert {
  seq += 1;
  return {
    status: 'firing',
    startsAt: new Date(Date.UTC(2026, 10, 22, 1, 0, 0) + seq * 1000).toISOString(),
    endsAt: ZERO_TIME,
    generatorURL: 'http://prometheus:9090/graph',
    ...overrides,
    labels: { alertname: 'TestAlert', severity: 'warning', ...(overrides.labels ?? {}) },
    annotations: { message: `test alert ${seq}`, ...(overrides.annotations ?? {}) },
  };
}

/** An Alertmanager v4 webhook payload around the given alerts. */
export function webhookPayload(alerts: PostableAlert[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  const allResolved = alerts.length > 0 && alerts.every((a) => a.status === 'resolved');
  return {
    receiver: 'notification-manager',
    status: allResolved ? 'resolved' : 'firing',
    alerts,
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}:{}',
    truncatedAlerts: 0,
    ...extra,
  };
}
