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
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
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

/** The alert's fields besides the standard and internal ones (undefined when it has none, the common case). */
function extras(alert: TemplateAlert): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(alert);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (STANDARD_FIELDS.has(k) || INTERNAL_FIELDS.has(k) || k === '__proto__') continue;
    (out ??= {})[k] = (alert as unknown as Record<string, unknown>)[k];
  }
  return out;
}

/**
 * Builds the default webhook body object; the caller serialises it. Its alerts' `labels` and
 * `annotations` are the input alerts' own objects (not copies): the body is meant to be serialised,
 * not changed.
 */
export function webhookBody(input: WebhookBodyInput): WebhookBody {
  const notificationTime = (input.notificationTime ?? new Date()).toISOString();
  const alerts = input.alerts.map((a): WebhookAlert => {
    const alert: WebhookAlert = {
      id: a.id ?? '',
      status: a.status === 'resolved' ? 'resolved' : 'firing',
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL ?? '',
      fingerprint: a.fingerprint ?? '',
      notificationTime,
    };
    const more = extras(a);
    return more ? { ...alert, ...more } : alert;
  });
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
