/**
 * notification-manager's notification history: `NotificationManager.spec.history.webhook` (a full
 * webhook receiver) receives the alerts that were notified successfully, as its `Data` JSON.
 *
 * Here a durable consumer (`history-webhook`) reads the delivery records senders publish to
 * `NM_HISTORY`; a record of a delivered (or partially delivered) unit carries the alerts it was
 * the first delivery of, and each such record becomes one POST of
 * `{"alerts": [...], "groupLabels": null, "commonLabels": null, "commonAnnotations": null}`.
 * The record is acked only after the webhook accepted it; a failure is retried 5 s later, four
 * attempts in all (notification-manager's rule), then dead-lettered to `nm.dlq.history-webhook`.
 * A crash (kill -9) before the ack means redelivery, so nothing is lost. Records of API sends
 * (verify, notifications) are skipped, as notification-manager skips them.
 */
import { failureOf, type WebhookSender, type WebhookTarget } from '@nm/channels';
import { consumers, HistoryRecordSchema, PAYLOAD_VERSION, payloadShapes, type Alert, type HistoryAlert, type HistoryRecord, type Notification } from '@nm/contracts';
import { startConsumer, type ConsumerHandle, type HandlerContext } from '@nm/bus';
import { WaitError } from '@nm/errors';
import { isEnabled, type Receiver } from '@nm/model';
import type { Runtime } from '@nm/service-kit';
import { z } from 'zod';
import { parseDuration } from '@nm/model';
import { buildJob } from './delivery.job.js';
import { RevisionCache } from './revision.cache.js';
import type { DeliveryJob } from './sender.types.js';

/** notification-manager's history rule: the first attempt and three retries, 5 s apart. */
export const HISTORY_WEBHOOK_ATTEMPTS = 4;
export const HISTORY_WEBHOOK_RETRY_MS = 5000;

/** The history webhook's variables (sender-webhook reads them). */
export const HistoryWebhookEnvSchema = z.object({
  /** Time between attempts of the history webhook (notification-manager: 5s; four attempts in all). */
  NM_HISTORY_WEBHOOK_RETRY_DELAY: z
    .string()
    .default('5s')
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `must be a duration such as 5s or 500ms: ${(err as Error).message}` });
        return z.NEVER;
      }
    }),
});
export type HistoryWebhookEnv = z.infer<typeof HistoryWebhookEnvSchema>;

/** Template names that mean "the Data JSON" (notification-manager's default and history templates). */
const JSON_TEMPLATES = new Set(['', 'webhook.default.message', 'nm.default.history']);

/** One alert of a record as the history webhook receives it. */
export function historyAlertOf(alert: Alert, record: HistoryRecord): HistoryAlert {
  return {
    id: alert.id,
    status: alert.status,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: alert.startsAt,
    endsAt: alert.endsAt,
    notificationTime: record.time,
    receiver: { [record.receiver]: { [record.channel]: record.destination } },
  };
}

/** The body notification-manager posts: a `Data` with only `alerts` set. */
export function historyData(record: HistoryRecord): { alerts: HistoryAlert[]; groupLabels: null; commonLabels: null; commonAnnotations: null } {
  return { alerts: (record.alerts ?? []).map((a) => historyAlertOf(a, record)), groupLabels: null, commonLabels: null, commonAnnotations: null };
}

/** Whether a record is posted: a delivery (not of an API send) with alerts it delivered first. */
export function isHistoryWorthy(record: HistoryRecord): boolean {
  return !record.api && (record.result === 'delivered' || record.result === 'partial') && (record.alerts?.length ?? 0) > 0;
}

export interface HistoryWebhookOptions {
  /** The webhook app's sender and how a webhook section becomes its target. */
  sender: WebhookSender;
  targetOf: (job: DeliveryJob) => WebhookTarget;
  maxAttempts?: number;
  retryDelayMs?: number;
}

/** Starts the `history-webhook` consumer (run by sender-webhook). */
export async function startHistoryWebhook(rt: Runtime, opts: HistoryWebhookOptions): Promise<{ stop(timeoutMs?: number): Promise<void> }> {
  const { sender } = opts;
  const cache = new RevisionCache();
  const posts = rt.metrics.counter('nm_history_webhook_total', 'Delivery records handled by the history webhook, by outcome', ['outcome'] as const);
  const active = rt.metrics.gauge('nm_history_webhook_consuming', '1 while this replica reads delivery records for the history webhook (one is configured), else 0');
  const stopping = new AbortController();

  const handler = async (record: HistoryRecord, ctx: HandlerContext): Promise<void> => {
    if (!isHistoryWorthy(record)) return;
    if (!rt.config.isLoaded()) throw new WaitError('configuration is not loaded yet', { code: 'CONFIG_NOT_LOADED', retryAfterMs: 1000 });
    const state = cache.of(rt.config.current());
    const webhook = state.snapshot.notificationManager?.spec.history?.webhook;
    if (!webhook || !isEnabled(webhook)) {
      posts.inc({ outcome: 'not-configured' });
      return;
    }
    const data = historyData(record);
    // The history receiver as notification-manager builds it: a nameless Receiver with this webhook section.
    const receiver = { apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'Receiver', metadata: { name: '' }, spec: { webhook } } as unknown as Receiver;
    const alerts = record.alerts ?? [];
    const notification: Notification = {
      version: PAYLOAD_VERSION,
      id: `history-${ctx.msgId}`,
      createdAt: record.time,
      receiver: { name: 'history', channel: 'webhook', tenant: '' },
      groupKey: '',
      groupLabels: {},
      alerts,
      part: { index: 0, count: 1 },
      source: 'api',
    };
    const job = buildJob(state, {
      channel: 'webhook',
      notification,
      receiver,
      section: webhook,
      deliveredKeys: new Set(),
      attempt: ctx.attempt,
      lastAttempt: ctx.attempt >= (opts.maxAttempts ?? HISTORY_WEBHOOK_ATTEMPTS),
      signal: stopping.signal,
      logger: ctx.logger,
      now: new Date(record.time),
    });
    const template = (webhook.template ?? '').trim();
    const render = JSON_TEMPLATES.has(template)
      ? () => ({ body: JSON.stringify(data), kind: 'json' as const, template: 'nm.default.history', language: 'English' })
      : job.render;
    const result = await sender.send(opts.targetOf(job), { kind: 'alerts', alerts, render }, { notificationId: notification.id, signal: stopping.signal });
    const failure = failureOf(result);
    if (failure) {
      posts.inc({ outcome: 'failed' });
      ctx.logger.warn({ err: failure.message, attempt: ctx.attempt, record: ctx.msgId }, 'history webhook failed');
      throw failure;
    }
    posts.inc({ outcome: 'posted' });
  };

  const bus = await rt.connected;
  const consumerOptions = {
    consumer: consumers.historyWebhook,
    attempts: rt.attempts,
    schema: HistoryRecordSchema,
    quickCheck: payloadShapes.history,
    handler,
    dlqStage: 'history-webhook' as const,
    concurrency: 4,
    maxAttempts: opts.maxAttempts ?? HISTORY_WEBHOOK_ATTEMPTS,
    backoffBaseMs: opts.retryDelayMs ?? HISTORY_WEBHOOK_RETRY_MS,
    backoffMaxMs: opts.retryDelayMs ?? HISTORY_WEBHOOK_RETRY_MS,
  };
  /**
   * The consumer pulls only while a history webhook is configured. A record a sender published
   * while none was configured carries no alerts, so nothing is owed for it: without this, every
   * sender-webhook would read, decode and ack every delivery record of the cluster for nothing
   * (a third of its bus messages per notification). Once one is configured the durable consumer
   * resumes where it stopped and acks the records of the pause unposted (no alerts in them).
   */
  const configured = (): boolean => {
    if (!rt.config.isLoaded()) return false;
    const webhook = rt.config.current().notificationManager?.spec.history?.webhook;
    return webhook !== undefined && isEnabled(webhook);
  };
  let consumer: ConsumerHandle | undefined;
  let closed = false;
  let stopTimeoutMs = 10_000;
  let reconciling: Promise<void> = Promise.resolve();
  const reconcile = (): Promise<void> =>
    (reconciling = reconciling.then(async () => {
      const want = !closed && configured();
      if (want && !consumer) {
        consumer = await startConsumer(bus, rt.publisher, rt.logger, rt.metrics, consumerOptions);
        active.set(1);
        rt.logger.info({ consumer: consumers.historyWebhook.durable }, 'history webhook configured: consuming delivery records');
      } else if (!want && consumer) {
        const c = consumer;
        consumer = undefined;
        active.set(0);
        await c.stop(stopTimeoutMs);
        if (!closed) rt.logger.info({ consumer: consumers.historyWebhook.durable }, 'no history webhook configured: delivery records are not read');
      }
    }).catch((err: unknown) => {
      // retried by the next configuration change or the periodic check
      rt.logger.warn({ err: (err as Error).message }, 'history webhook consumer could not be started or stopped');
    }));
  rt.config.onChange(() => void reconcile());
  // A start that failed (the bus away) is tried again without waiting for a configuration change.
  const recheck = setInterval(() => void reconcile(), 5000);
  recheck.unref();
  await reconcile();
  if (!consumer) rt.logger.info({ consumer: consumers.historyWebhook.durable }, 'no history webhook configured: delivery records are not read');
  let stopped: Promise<void> | undefined;
  const stop = (timeoutMs = 10_000): Promise<void> => {
    stopped ??= (async () => {
      closed = true;
      stopTimeoutMs = timeoutMs;
      clearInterval(recheck);
      await reconcile(); // stops the consumer, after any start under way
      stopping.abort(new Error('stopped'));
      sender.close();
    })();
    return stopped;
  };
  rt.onClose(() => stop());
  return { stop };
}
