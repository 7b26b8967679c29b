/**
 * The generic sender service: consumes `nm.notify.<channel>` with the channel's durable consumer
 * and, for each notification, finds its Receiver, claims it in Redis (so a redelivered or
 * re-published notification is never sent twice), lets the channel deliver the units not yet
 * delivered, records history, and tells the bus to ack, retry or dead-letter.
 */
import { setMaxListeners } from 'node:events';
import { randomUUID } from 'node:crypto';
import { PermanentError, RetryableError, startConsumer, WaitError, type HandlerContext } from '@nm/bus';
import { NotificationSchema, senderConsumer, subjects, type HistoryRecord, type Notification } from '@nm/contracts';
import { isEnabled, receiverSection } from '@nm/model';
import type { Runtime } from '@nm/service-kit';
import { DEFAULT_DELIVERED_TTL_SECONDS, DEFAULT_LEASE_MS, DeliveredStore, type Claim, type PendingRecord } from './delivered.store.js';
import { buildJob } from './delivery.job.js';
import {
  NO_UNIT,
  errorCode,
  errorMessage,
  historyRecord,
  isRetryable,
  settle,
  type Failure,
  type NotificationResult,
  type SettleContext,
} from './outcome.settle.js';
import { RevisionCache } from './revision.cache.js';
import type { DeliveryJob, SenderHandle, SenderOptions } from './sender.types.js';

export const SENDER_DEFAULTS = {
  maxAttempts: 12,
  concurrency: 16,
  deliveredTtlSeconds: DEFAULT_DELIVERED_TTL_SECONDS,
  stopTimeoutMs: 10_000,
} as const;

/** Test and tuning knobs that are not part of the service contract. */
export interface SenderInternals {
  /** Lease of a claimed notification (default 10 s, renewed every third of it; a crashed holder blocks a copy at most this long). */
  leaseMs?: number;
  /** How long a copy waits for another replica's delivery of the same notification (default 2 leases). */
  busyWaitMs?: number;
}

/**
 * Channel failure codes that are waits on shared infrastructure, not delivery attempts: a local
 * rate-limit slot not yet free, another replica still fetching the access token.
 */
const WAIT_CODES: ReadonlySet<string> = new Set(['ratelimit:wait-exceeded', 'token:lock-timeout']);

function toBusError(f: Failure, cause?: unknown): RetryableError | PermanentError | WaitError {
  if (f.kind !== 'permanent' && WAIT_CODES.has(f.code))
    return new WaitError(f.message, { code: f.code, ...(cause === undefined ? {} : { cause }), ...(f.retryAfterMs === undefined ? {} : { retryAfterMs: f.retryAfterMs }) });
  return f.kind === 'permanent'
    ? new PermanentError(f.message, { code: f.code, ...(cause === undefined ? {} : { cause }) })
    : new RetryableError(f.message, {
        code: f.code,
        ...(cause === undefined ? {} : { cause }),
        ...(f.retryAfterMs === undefined ? {} : { retryAfterMs: f.retryAfterMs }),
      });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startSender(rt: Runtime, opts: SenderOptions & SenderInternals): Promise<SenderHandle> {
  const { channel } = opts;
  const maxAttempts = opts.maxAttempts ?? SENDER_DEFAULTS.maxAttempts;
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const busyWaitMs = opts.busyWaitMs ?? 2 * leaseMs;
  const store = new DeliveredStore(rt.redis, opts.deliveredTtlSeconds ?? SENDER_DEFAULTS.deliveredTtlSeconds, leaseMs);
  const cache = new RevisionCache({
    onProblems: (revision, problems) =>
      rt.logger.warn({ channel, revision, problems: problems.map((p) => p.message) }, 'template configuration problems'),
    onMissingConfigMap: (revision, ref) => rt.logger.warn({ channel, revision, ref }, 'template ConfigMap not found'),
  });

  const notifications = rt.metrics.counter('nm_notifications_total', 'Notifications handled by senders, by result', ['channel', 'result'] as const);
  const skipped = rt.metrics.counter('nm_notifications_skipped_total', 'Notifications not sent on purpose', ['channel', 'reason'] as const);
  const deliverySeconds = rt.metrics.histogram('nm_delivery_seconds', 'Time a channel took to deliver one notification', ['channel'] as const);
  const latency = rt.metrics.histogram(
    'nm_notification_latency_seconds',
    'From notification creation to its delivery',
    ['channel'] as const,
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  );
  const alertLatency = rt.metrics.histogram(
    'nm_alert_latency_seconds',
    'From an alert being received at ingest to its delivery',
    ['channel'] as const,
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
  );
  const historyFailures = rt.metrics.counter('nm_history_publish_failures_total', 'History records JetStream did not acknowledge', ['channel'] as const);
  const count = (result: NotificationResult): void => notifications.inc({ channel, result });

  const abort = new AbortController();
  // every in-flight delivery listens on this one signal
  setMaxListeners(0, abort.signal);

  /** Publishes records; returns the unit keys JetStream acknowledged and the first error. */
  const publishHistory = async (
    records: readonly PendingRecord[],
    ctx: HandlerContext,
  ): Promise<{ published: string[]; error?: unknown }> => {
    const published: string[] = [];
    for (const { key, record } of records) {
      try {
        await rt.publisher.publish(subjects.history(record.tenant, channel), record, {
          msgId: `hist-${record.notificationId}-${key}-${record.attempt}`,
          traceparent: ctx.childTraceparent,
        });
        published.push(key);
      } catch (error) {
        historyFailures.inc({ channel });
        return { published, error };
      }
    }
    return { published };
  };

  /** Records a failure of the whole notification (before any unit was tried) and throws it. */
  const failWhole = async (n: Notification, ctx: HandlerContext, failure: Failure, destination: string, cause?: unknown): Promise<never> => {
    const last = maxAttempts > 0 && ctx.attempt >= maxAttempts && !WAIT_CODES.has(failure.code);
    if (failure.kind === 'permanent' || last) {
      const sctx: SettleContext = { channel, notification: n, attempt: ctx.attempt, lastAttempt: last, time: new Date() };
      const record: HistoryRecord = historyRecord(sctx, {
        destination,
        alertIds: n.alerts.map((a) => a.id),
        result: 'failed',
        error: failure.message,
      });
      const { error } = await publishHistory([{ key: NO_UNIT, record }], ctx);
      if (error) throw new WaitError(`history not recorded: ${errorMessage(error)}`, { code: 'HISTORY_UNAVAILABLE', cause: error });
      count('failed');
    } else count('retry');
    throw toBusError(failure, cause);
  };

  /** Claims the notification, waiting while another holder delivers it. */
  const claimOf = async (n: Notification, token: string): Promise<Exclude<Claim, { state: 'busy' }>> => {
    const deadline = Date.now() + busyWaitMs;
    for (;;) {
      let claim: Claim;
      try {
        claim = await store.claim(n.id, token);
      } catch (err) {
        throw new WaitError(`redis unavailable: ${errorMessage(err)}`, { code: 'REDIS_UNAVAILABLE', cause: err });
      }
      if (claim.state !== 'busy') return claim;
      if (Date.now() >= deadline || abort.signal.aborted) {
        throw new WaitError(`notification ${n.id} is being delivered by another worker`, {
          code: 'IN_FLIGHT_ELSEWHERE',
          retryAfterMs: Math.min(claim.retryInMs, leaseMs),
        });
      }
      await sleep(Math.max(20, Math.min(250, claim.retryInMs)));
    }
  };

  const handler = async (n: Notification, ctx: HandlerContext): Promise<void> => {
    const log = ctx.logger.child({ notification: n.id, receiver: n.receiver.name, channel });
    if (n.receiver.channel !== channel) {
      throw new PermanentError(`notification for channel ${n.receiver.channel} arrived on ${subjects.notify(channel)}`, { code: 'CHANNEL_MISMATCH' });
    }
    if (!rt.config.isLoaded()) {
      throw new WaitError('configuration is not loaded yet', { code: 'CONFIG_NOT_LOADED', retryAfterMs: 1000 });
    }
    const state = cache.of(rt.config.current());
    const receiver = state.receiver(n.receiver.name);
    if (!receiver) {
      return failWhole(n, ctx, { kind: 'permanent', message: `receiver "${n.receiver.name}" not found`, code: 'RECEIVER_NOT_FOUND' }, '');
    }
    const section = receiverSection(receiver, channel);
    if (!section) {
      return failWhole(
        n,
        ctx,
        { kind: 'permanent', message: `receiver "${n.receiver.name}" has no ${channel} section`, code: 'RECEIVER_SECTION_MISSING' },
        '',
      );
    }
    if (!isEnabled(section)) {
      skipped.inc({ channel, reason: 'disabled' });
      log.debug('receiver section disabled, notification skipped');
      return;
    }

    const token = `${rt.instance}:${randomUUID()}`;
    const claim = await claimOf(n, token);
    if (claim.state === 'done') {
      count('duplicate');
      log.debug('already delivered, acked without sending');
      return;
    }

    const renew = setInterval(() => {
      store.renew(n.id, token).then(
        (held) => held || log.warn('delivery lease lost'),
        () => undefined,
      );
    }, Math.max(100, Math.floor(leaseMs / 3)));
    renew.unref();
    const release = (): Promise<void> => store.release(n.id, token).catch(() => undefined);
    try {
      const attempt = ctx.attempt;
      const lastAttempt = maxAttempts > 0 && attempt >= maxAttempts;
      let job: DeliveryJob | undefined;
      const end = deliverySeconds.startTimer({ channel });
      let report;
      try {
        job = buildJob(state, {
          channel,
          notification: n,
          receiver,
          section,
          deliveredKeys: claim.deliveredKeys,
          attempt,
          lastAttempt,
          signal: abort.signal,
          logger: log,
        });
        report = await opts.deliver(job);
      } catch (err) {
        await release();
        if (abort.signal.aborted) throw new WaitError('sender stopped during delivery', { code: 'SENDER_STOPPED', cause: err });
        const failure: Failure = {
          kind: isRetryable(err) ? 'retryable' : 'permanent',
          message: errorMessage(err),
          code: errorCode(err, `${channel}:error`),
          ...(typeof (err as { retryAfterMs?: unknown }).retryAfterMs === 'number' ? { retryAfterMs: (err as { retryAfterMs: number }).retryAfterMs } : {}),
        };
        let destination = '';
        try {
          destination = job && opts.describeDestination ? opts.describeDestination(job) : '';
        } catch {
          /* the destination itself is what is broken */
        }
        return await failWhole(n, ctx, failure, destination, err);
      } finally {
        end();
      }

      const s = settle(report, { channel, notification: n, attempt, lastAttempt, time: new Date() });
      try {
        await store.markUnits(n.id, s.delivered);
      } catch (err) {
        await release();
        log.error({ err: errorMessage(err), units: s.delivered.map((d) => d.key) }, 'delivered units not remembered');
        throw new WaitError(`redis unavailable: ${errorMessage(err)}`, { code: 'REDIS_UNAVAILABLE', cause: err });
      }
      const remembered = [...claim.pendingHistory, ...s.delivered];
      const { published, error } = await publishHistory([...remembered, ...s.failures], ctx);
      if (error || s.failure) {
        await store.historyPublished(n.id, published.filter((k) => remembered.some((r) => r.key === k))).catch(() => undefined);
        await release();
        if (error) {
          count('retry');
          throw new WaitError(`history not recorded: ${errorMessage(error)}`, { code: 'HISTORY_UNAVAILABLE', cause: error });
        }
      }
      count(s.result);
      if (s.failure) throw toBusError(s.failure);

      try {
        await store.markDone(n.id);
      } catch (err) {
        // Delivered and recorded: ack anyway. The remembered units still stop a second send.
        log.error({ err: errorMessage(err) }, 'notification delivered but not marked delivered');
      }
      if (s.result === 'delivered') {
        const now = Date.now();
        const created = Date.parse(n.createdAt);
        if (!Number.isNaN(created)) latency.observe({ channel }, Math.max(0, now - created) / 1000);
        for (const a of n.alerts) {
          const received = Date.parse(a.receivedAt);
          if (!Number.isNaN(received)) alertLatency.observe({ channel }, Math.max(0, now - received) / 1000);
        }
      }
      log.debug({ result: s.result }, 'notification handled');
    } finally {
      clearInterval(renew);
    }
  };

  const bus = await rt.connected;
  const consumer = await startConsumer(bus, rt.publisher, rt.logger, rt.metrics, {
    consumer: senderConsumer(channel),
    attempts: rt.attempts,
    schema: NotificationSchema,
    handler,
    dlqStage: `sender-${channel}`,
    concurrency: opts.concurrency ?? SENDER_DEFAULTS.concurrency,
    maxAttempts,
    ...(opts.backoffBaseMs === undefined ? {} : { backoffBaseMs: opts.backoffBaseMs }),
    ...(opts.backoffMaxMs === undefined ? {} : { backoffMaxMs: opts.backoffMaxMs }),
  });
  rt.logger.info({ channel, consumer: senderConsumer(channel).durable, maxAttempts }, 'sender started');

  let stopping: Promise<void> | undefined;
  const stop = (timeoutMs: number = SENDER_DEFAULTS.stopTimeoutMs): Promise<void> => {
    stopping ??= (async () => {
      await consumer.stop(timeoutMs);
      abort.abort(new Error('sender stopped'));
    })();
    return stopping;
  };
  rt.onClose(() => stop());
  return { stop, inFlight: () => consumer.inFlight() };
}
