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
