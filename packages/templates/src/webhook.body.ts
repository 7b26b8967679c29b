import { commonPairs } from './label.pairs.js';
import { defaultGroupKey, type TemplateAlert } from './view.model.js';

/** What the webhook body is built from (a notification, or any subset of its alerts). */
export interface WebhookBodyInput {
  readonly alerts: readonly TemplateAlert[];
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly groupKey?: string;
  readonly receiver: { readonly name: string };
  readonly externalURL?: string;
  readonly notificationTime?: Date;
  /** Alerts left out of this body (Alertmanager's `max_alerts`); 0 by default. */
  readonly truncatedAlerts?: number;
}

export interface WebhookAlert {
  readonly id: string;
  readonly status: 'firing' | 'resolved';
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly fingerprint: string;
  readonly notificationTime: string;
  /** Fields the sender added to the alert (for example a metric `value`) are passed through. */
  readonly [extra: string]: unknown;
}

/**
 * Alertmanager's v4 webhook body with notification-manager's per-alert `id` and
 * `notificationTime`: a superset of both, so receivers written for either keep working.
 */
export interface WebhookBody {
  readonly receiver: string;
  readonly status: 'firing' | 'resolved';
  readonly alerts: WebhookAlert[];
  readonly groupLabels: Record<string, string>;
  readonly commonLabels: Record<string, string>;
  readonly commonAnnotations: Record<string, string>;
  readonly externalURL: string;
  readonly version: '4';
  readonly groupKey: string;
  readonly truncatedAlerts: number;
}

/** Fields of a pipeline alert that are internal and never leave in a webhook body. */
const INTERNAL_FIELDS = new Set(['receivedAt']);
const STANDARD_FIELDS = new Set(['id', 'status', 'labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL', 'fingerprint', 'notificationTime']);

function extras(alert: TemplateAlert): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(alert)) {
    if (!STANDARD_FIELDS.has(k) && !INTERNAL_FIELDS.has(k) && k !== '__proto__') out[k] = v;
  }
  return out;
}

/** Builds the default webhook body object; the caller serialises it. */
export function webhookBody(input: WebhookBodyInput): WebhookBody {
  const notificationTime = (input.notificationTime ?? new Date()).toISOString();
  const alerts = input.alerts.map(
    (a): WebhookAlert => ({
      id: a.id ?? '',
      status: a.status === 'resolved' ? 'resolved' : 'firing',
      labels: { ...a.labels },
      annotations: { ...a.annotations },
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL ?? '',
      fingerprint: a.fingerprint ?? '',
      notificationTime,
      ...extras(a),
    }),
  );
  const allResolved = alerts.length > 0 && alerts.every((a) => a.status === 'resolved');
  return {
    receiver: input.receiver.name,
    status: allResolved ? 'resolved' : 'firing',
    alerts,
    groupLabels: { ...input.groupLabels },
    commonLabels: { ...commonPairs(input.alerts.map((a) => a.labels)) },
    commonAnnotations: { ...commonPairs(input.alerts.map((a) => a.annotations)) },
    externalURL: input.externalURL ?? '',
    version: '4',
    groupKey: input.groupKey ?? defaultGroupKey(input.groupLabels),
    truncatedAlerts: input.truncatedAlerts ?? 0,
  };
}
