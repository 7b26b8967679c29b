/**
 * notification-manager's direct-send APIs, `POST /api/v2/verify` and `POST /api/v2/notifications`
 * (its `pkg/webhook/v1` handlers): the request brings a Receiver (and optionally a Config); its
 * alerts (verify: one synthetic alert) go through aggregation and notify only — no silence,
 * routing, filter or history webhook — and the answer is the outcome.
 *
 * Here that means: one notification per (channel section × group) published on
 * `nm.notify.<channel>`, delivered by the channel's sender like any other (queue, retries,
 * dedup, delivery history), with the Receiver and Config sealed (they may hold credentials). The
 * sender publishes each notification's final outcome on `nm.api.outcome.<requestId>`; the request
 * waits for all of them, up to its timeout.
 */
import { randomBytes } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import express from 'express';
import {
  PAYLOAD_VERSION,
  subjects,
  type ApiOutcome,
  type ApiSendKind,
  type Channel,
  type Notification,
} from '@nm/contracts';
import {
  classify,
  effectiveSettings,
  groupAlerts,
  receiverSections,
  tenantIdOf,
  validateManifest,
  type ConfigSnapshot,
} from '@nm/model';
import type { Publisher } from '@nm/bus';
import type { Logger, Metrics } from '@nm/telemetry';
import { goLocalTime, IngestInputError, normalizeAlertItems, normalizeBody, withReceipt, type IngestLimits } from './alert.normalize.js';

/** notification-manager's verify message (its synthetic alert's `message` annotation). */
export const VERIFY_MESSAGE = 'Congratulations, your notification configuration is correct!';
/** How long a request waits for its outcomes by default (notification-manager's worker timeout). */
export const DEFAULT_API_SEND_TIMEOUT_MS = 30_000;
/** Attempts of an API send before a retryable failure is the answer. */
export const DEFAULT_API_SEND_MAX_ATTEMPTS = 3;

const API_VERSION = 'notification.kubesphere.io/v2beta2';

/** Collects the outcomes the senders publish for one request. */
export interface OutcomeInbox {
  /** Starts listening on `nm.api.outcome.<requestId>`; call before publishing. Throws BusUnavailableError without NATS. */
  open(requestId: string): Promise<OutcomeWaiter>;
}
export interface OutcomeWaiter {
  /** Resolves with the outcomes received once `count` arrived, or with those received when `timeoutMs` elapsed. */
  wait(count: number, timeoutMs: number): Promise<ApiOutcome[]>;
  close(): void;
}

export interface SendRoutesDeps {
  snapshot: () => ConfigSnapshot;
  publisher: Publisher;
  /** Seals the request's Receiver and Config (`NM_SECRET_KEY`). */
  seal: (plaintext: string) => string;
  inbox?: OutcomeInbox;
  /** Whether a sender of `channel` is running (heartbeat); unknown (Redis away) counts as running. */
  senderAlive: (channel: Channel) => Promise<boolean>;
  limits: IngestLimits;
  maxBodyBytes: number;
  timeoutMs: number;
  maxAttempts: number;
  now: () => Date;
  logger: Logger;
  metrics: Metrics;
  reply: (res: Response, status: number, message: string) => void;
  /** Whether the caller may send to a receiver of `tenant`; answers the refusal itself when not. */
  authorize: (req: Request, res: Response, kind: ApiSendKind, tenant: string) => Promise<boolean>;
}

/** A 4xx answer with notification-manager's message. */
class SendRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A Receiver or Config of the request, checked like a manifest (apiVersion and kind may be left out, as notification-manager allows). */
function objectOf(value: unknown, kind: 'Receiver' | 'Config'): Record<string, unknown> {
  const field = kind.toLowerCase();
  if (!isRecord(value)) throw new SendRefusal(400, `${field}: must be a ${kind} object`);
  const obj = { apiVersion: API_VERSION, kind, ...value };
  if (obj.kind !== kind) throw new SendRefusal(400, `${field}.kind: must be ${kind}, got ${JSON.stringify(obj.kind)}`);
  const { problems } = validateManifest(obj);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new SendRefusal(400, `${field}: ${errors.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  return obj;
}

interface Planned {
  receiverName: string;
  tenant: string;
  channels: Channel[];
  sealed: string;
}

/** notification-manager's `getReceiversFromRequest`: the Receiver, its tenant and its channels. */
function plan(body: Record<string, unknown>, snap: ConfigSnapshot, seal: (s: string) => string): Planned {
  if (!('receiver' in body) || body.receiver === null || body.receiver === undefined) throw new SendRefusal(400, 'Receiver is nil');
  const receiver = objectOf(body.receiver, 'Receiver');
  const config = body.config === undefined || body.config === null ? undefined : objectOf(body.config, 'Config');
  const settings = effectiveSettings(snap.notificationManager);
  const metadata = receiver.metadata as { name: string; labels?: Record<string, string> };
  const scope = classify(metadata.labels, settings);
  if (!scope) throw new SendRefusal(400, 'unknown tenant');
  if (config) {
    const labels = (config.metadata as { labels?: Record<string, string> }).labels;
    if (!classify(labels, settings))
      throw new SendRefusal(400, 'config: its labels classify it as no default, global or tenant Config (e.g. add the defaultConfigSelector labels, type: default)');
  }
  const channels = receiverSections(receiver as never).map((s) => s.channel);
  if (channels.length === 0) throw new SendRefusal(400, 'no receivers provided');
  return { receiverName: metadata.name, tenant: tenantIdOf(scope), channels, sealed: seal(JSON.stringify({ receiver, ...(config ? { config } : {}) })) };
}

/** The verify API's one alert, as notification-manager builds it. */
function verifyItems(now: Date): unknown[] {
  const at = now.toISOString();
  return [
    {
      status: 'firing',
      labels: { alertname: 'verify', alerttype: 'verify', alerttime: goLocalTime(now) },
      annotations: { message: VERIFY_MESSAGE },
      startsAt: at,
      endsAt: at,
    },
  ];
}

const outcomeError = (o: ApiOutcome): string => `${o.receiver.channel}/${o.receiver.name}: ${o.error ?? o.result}`;

export function registerSendRoutes(app: Express, deps: SendRoutesDeps): void {
  const requests = deps.metrics.counter('nm_api_send_requests_total', 'POST /api/v2/verify and /api/v2/notifications, by API and outcome', [
    'api',
    'outcome',
  ] as const);
  const raw = express.raw({ type: () => true, limit: deps.maxBodyBytes });

  const handle = (kind: ApiSendKind) => async (req: Request, res: Response) => {
    const answer = (status: number, outcome: string, message: string): void => {
      requests.inc({ api: kind, outcome });
      deps.reply(res, status, message);
    };
    const now = deps.now();
    const snap = deps.snapshot();
    let planned: Planned;
    let alerts: Notification['alerts'];
    const requestId = randomBytes(12).toString('hex');
    try {
      const text = (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw new SendRefusal(400, (err as Error).message);
      }
      if (!isRecord(body)) throw new SendRefusal(400, 'body must be a JSON object {"receiver": ..., "config"?: ...}');
      planned = plan(body, snap, deps.seal);
      if (!(await deps.authorize(req, res, kind, planned.tenant))) return void requests.inc({ api: kind, outcome: 'forbidden' });
      // No cluster label is added here (notification-manager adds it only to alerts posted to /api/v2/alerts).
      const opts = { now, cluster: '', limits: deps.limits };
      let batch;
      if (kind === 'verify') batch = { source: 'api' as const, ...normalizeAlertItems(verifyItems(now), { ...opts, prefix: 'verify' }) };
      else {
        if (!('alert' in body) || body.alert === null || body.alert === undefined) throw new SendRefusal(400, 'alert is nil');
        try {
          batch = normalizeBody(Buffer.from(JSON.stringify(body.alert)), opts);
        } catch (err) {
          if (err instanceof IngestInputError) throw new SendRefusal(err.status, `alert: ${err.message}`);
          throw err;
        }
        if (batch.problems.length > 0) throw new SendRefusal(400, batch.problems.map((p) => `alert${p.startsWith('[') ? '' : '.'}${p}`).join('; '));
        if (batch.alerts.length === 0) throw new SendRefusal(400, 'alert: no alerts to send');
      }
      alerts = withReceipt(batch, requestId).map((a) => {
        if (a.labels['cluster'] !== '') return a;
        const { cluster: _c, ...labels } = a.labels;
        return { ...a, labels };
      });
    } catch (err) {
      if (err instanceof SendRefusal) return answer(err.status, 'invalid', err.message);
      throw err;
    }

    for (const channel of planned.channels) {
      if (!(await deps.senderAlive(channel)))
        return answer(503, 'no-sender', `no sender-${channel} is running (no heartbeat): the ${channel} section of receiver ${planned.receiverName} cannot be sent`);
    }
    if (!deps.inbox) return answer(503, 'unavailable', 'message bus unavailable, retry later');

    // Aggregation: one notification per group of `groupLabels`, per channel section.
    const settings = effectiveSettings(snap.notificationManager);
    const groups = groupAlerts(alerts, settings.groupLabels);
    const deadline = new Date(now.getTime() + deps.timeoutMs);
    const notifications: Notification[] = planned.channels.flatMap((channel) =>
      groups.map((g, k) => ({
        version: PAYLOAD_VERSION,
        id: `api-${requestId}-${channel}-${k}`,
        createdAt: now.toISOString(),
        receiver: { name: planned.receiverName, channel, tenant: planned.tenant },
        groupKey: `api/${kind}/${requestId}/${k}`,
        groupLabels: g.labels,
        alerts: g.alerts,
        part: { index: 0, count: 1 },
        source: 'api' as const,
        api: { kind, requestId, deadline: deadline.toISOString(), maxAttempts: deps.maxAttempts, sealed: planned.sealed },
      })),
    );

    let waiter: OutcomeWaiter;
    try {
      waiter = await deps.inbox.open(requestId);
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, `${kind}: outcome subscription failed, answered 503`);
      return answer(503, 'unavailable', 'message bus unavailable, retry later');
    }
    try {
      for (const n of notifications) {
        try {
          await deps.publisher.publish(subjects.notify(n.receiver.channel), n, { msgId: n.id });
        } catch (err) {
          deps.logger.warn({ err: (err as Error).message, notification: n.id }, `${kind}: publish failed, answered 503`);
          return answer(503, 'unavailable', `could not queue the notification for sender-${n.receiver.channel}, retry later`);
        }
      }
      const outcomes = await waiter.wait(notifications.length, deps.timeoutMs);
      const byId = new Map(outcomes.map((o) => [o.notificationId, o]));
      const missing = notifications.filter((n) => !byId.has(n.id));
      const failed = outcomes.filter((o) => o.result !== 'delivered');
      if (missing.length > 0) {
        const who = [...new Set(missing.map((n) => `sender-${n.receiver.channel}`))].join(', ');
        const errors = failed.map(outcomeError);
        return answer(
          504,
          'timeout',
          `no outcome from ${who} within ${deps.timeoutMs / 1000}s for ${missing.length} of ${notifications.length} notification(s) ` +
            `(${missing.map((n) => n.id).join(', ')}); they are not sent after ${deadline.toISOString()}` +
            (errors.length > 0 ? `; ${errors.join('; ')}` : ''),
        );
      }
      // notification-manager answers 400 with the joined send errors
      if (failed.length > 0) return answer(400, 'failed', failed.map(outcomeError).join('; '));
      return answer(200, 'delivered', kind === 'verify' ? 'Verify successfully' : 'Send alerts successfully');
    } finally {
      waiter.close();
    }
  };

  app.post('/api/v2/verify', raw, handle('verify'));
  app.post('/api/v2/notifications', raw, handle('notifications'));
}
