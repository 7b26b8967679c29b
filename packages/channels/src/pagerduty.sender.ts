/**
 * PagerDuty Events API v2 (`POST /v2/enqueue`): one event per notification. A notification with a
 * firing alert triggers, one whose alerts have all resolved resolves, and both carry the same
 * `dedup_key` (the group key), so PagerDuty keeps one incident per group and a repeated trigger
 * adds to it instead of opening another. The summary is cut to PagerDuty's 1024 characters and
 * the details so that the event stays under its 512 KB limit. 429 and 5xx retry (Retry-After
 * honoured), any other 4xx (an invalid event, an unknown routing key) is permanent.
 */
import type { Alert } from '@nm/contracts';
import { PermanentError } from '@nm/errors';
import { classifyHttpError } from './channel.errors.js';
import type { OutgoingMessage, SendContext, SendResult } from './channel.types.js';
import { DEFAULT_PAGERDUTY_API_URL, apiUrl } from './channel.urls.js';
import type { UnitSuccess } from './delivery.runner.js';
import { excerpt, httpRequest } from './http.client.js';
import { HttpChannelSender, type HttpSenderOptions } from './http.sender.js';
import { cutChars, incidentKey, wholeMessage, type WholeMessage } from './incident.common.js';
import { truncateVisibly, utf8Length } from './message.splitter.js';

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PagerDutyTarget {
  /** The Events API v2 integration key of the PagerDuty service. */
  routingKey: string;
  /** The notification's group key: the event's `dedup_key` (hashed when over 255 characters). */
  groupKey: string;
  /** Severity when no firing alert has a `severity` label PagerDuty knows (default `error`). */
  severity?: PagerDutySeverity | undefined;
  /** `payload.source` (default from the alerts' labels, else `notification-manager`). */
  source?: string | undefined;
  component?: string | undefined;
  group?: string | undefined;
  class?: string | undefined;
  client?: string | undefined;
  clientURL?: string | undefined;
  timeoutMs?: number | undefined;
}

export interface PagerDutySenderOptions extends HttpSenderOptions {
  /** Default `https://events.pagerduty.com/` (see `NM_PAGERDUTY_API_URL`). */
  apiUrl?: string;
  /** Largest event in bytes (default 512 KiB, PagerDuty's limit). */
  maxEventBytes?: number;
}

export const PAGERDUTY_SUMMARY_MAX_CHARS = 1024;
export const PAGERDUTY_DEDUP_KEY_MAX_CHARS = 255;
export const PAGERDUTY_MAX_EVENT_BYTES = 512 * 1024;

const SEVERITY_RANK: Record<PagerDutySeverity, number> = { info: 0, warning: 1, error: 2, critical: 3 };

/** Alert `severity` label values, as Prometheus rules and Kubernetes events spell them, to PagerDuty's four. */
const SEVERITY_OF_LABEL: Readonly<Record<string, PagerDutySeverity>> = {
  critical: 'critical',
  fatal: 'critical',
  emergency: 'critical',
  page: 'critical',
  p1: 'critical',
  error: 'error',
  high: 'error',
  major: 'error',
  p2: 'error',
  warning: 'warning',
  warn: 'warning',
  medium: 'warning',
  p3: 'warning',
  info: 'info',
  informational: 'info',
  low: 'info',
  minor: 'info',
  none: 'info',
  p4: 'info',
  p5: 'info',
};

/** The highest PagerDuty severity among the firing alerts' `severity` labels, else `fallback`. */
export function pagerdutySeverity(alerts: readonly Alert[], fallback: PagerDutySeverity = 'error'): PagerDutySeverity {
  let best: PagerDutySeverity | undefined;
  for (const a of alerts) {
    if (a.status !== 'firing') continue;
    const s = SEVERITY_OF_LABEL[(a.labels['severity'] ?? '').trim().toLowerCase()];
    if (s && (best === undefined || SEVERITY_RANK[s] > SEVERITY_RANK[best])) best = s;
  }
  return best ?? fallback;
}

function sourceOf(alerts: readonly Alert[]): string | undefined {
  for (const label of ['cluster', 'instance', 'namespace']) {
    const v = alerts.find((a) => a.labels[label])?.labels[label];
    if (v) return v;
  }
  return undefined;
}

export class PagerDutySender extends HttpChannelSender<PagerDutyTarget, PagerDutySenderOptions> {
  readonly channel = 'pagerduty' as const;

  constructor(opts: PagerDutySenderOptions = {}) {
    super(opts);
  }

  async send(target: PagerDutyTarget, message: OutgoingMessage, ctx: SendContext = {}): Promise<SendResult> {
    if (!target.routingKey.trim()) throw new PermanentError('pagerduty: no routing key', { code: 'pagerduty:no-routing-key' });
    const whole = wholeMessage(message);
    const alerts = message.kind === 'alerts' ? message.alerts : [];
    const dedupKey = incidentKey(target.groupKey, PAGERDUTY_DEDUP_KEY_MAX_CHARS);
    const { event, truncatedBytes } = this.event(target, whole, alerts, dedupKey);
    const action = event.event_action as string;
    return this.run(
      [
        {
          key: `event:${action}`,
          destination: `pagerduty ${action} ${dedupKey}`,
          group: 'event',
          chunk: { index: 0, count: 1 },
          alertIds: whole.alertIds,
          ...(truncatedBytes > 0 ? { truncatedBytes } : {}),
          run: () => this.enqueue(event, target.timeoutMs, ctx.signal),
        },
      ],
      ctx,
    );
  }

  /** The event of a notification: a trigger with its payload, or a resolve. */
  private event(target: PagerDutyTarget, whole: WholeMessage, alerts: readonly Alert[], dedupKey: string): { event: Record<string, unknown>; truncatedBytes: number } {
    const base = { routing_key: target.routingKey, dedup_key: dedupKey };
    if (whole.status === 'resolved') return { event: { ...base, event_action: 'resolve' }, truncatedBytes: 0 };
    const summary = cutChars((whole.title ?? whole.body.split('\n', 1)[0] ?? '').trim() || 'notification', PAGERDUTY_SUMMARY_MAX_CHARS).text;
    const payload: Record<string, unknown> = {
      summary,
      source: target.source || sourceOf(alerts) || 'notification-manager',
      severity: pagerdutySeverity(alerts, target.severity ?? 'error'),
      ...(target.component ? { component: target.component } : {}),
      ...(target.group ? { group: target.group } : {}),
      ...(target.class ? { class: target.class } : {}),
      custom_details: { firing: whole.firing, resolved: whole.resolved, details: whole.body },
    };
    const event: Record<string, unknown> = {
      ...base,
      event_action: 'trigger',
      payload,
      ...(target.client ? { client: target.client } : {}),
      ...(target.clientURL ? { client_url: target.clientURL } : {}),
    };
    const limit = this.opts.maxEventBytes ?? PAGERDUTY_MAX_EVENT_BYTES;
    const size = utf8Length(JSON.stringify(event));
    if (size <= limit) return { event, truncatedBytes: 0 };
    // JSON escaping can grow the details: cut by the excess until the event fits
    let budget = Math.max(0, utf8Length(whole.body) - (size - limit));
    for (;;) {
      const cut = truncateVisibly(whole.body, budget);
      payload.custom_details = { firing: whole.firing, resolved: whole.resolved, details: cut.text };
      const over = utf8Length(JSON.stringify(event)) - limit;
      if (over <= 0 || budget === 0) return { event, truncatedBytes: cut.truncatedBytes };
      budget = Math.max(0, budget - over);
    }
  }

  private async enqueue(event: Record<string, unknown>, timeoutMs: number | undefined, signal?: AbortSignal): Promise<UnitSuccess> {
    const reply = await httpRequest(
      this.http,
      { method: 'POST', url: apiUrl(this.opts.apiUrl ?? DEFAULT_PAGERDUTY_API_URL, 'v2/enqueue'), body: event, ...(signal ? { signal } : {}), timeoutMs },
      'pagerduty',
    );
    const body = reply.json as { status?: string; message?: string; dedup_key?: string } | undefined;
    if (reply.status >= 200 && reply.status < 300) return body?.dedup_key ? { upstreamMessageId: body.dedup_key } : {};
    throw classifyHttpError({ status: reply.status, headers: reply.headers, detail: body?.message ?? excerpt(reply.text) }, 'pagerduty', this.clock.now());
  }
}
