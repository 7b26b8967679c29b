/**
 * One notification's way through a sender: find its Receiver, claim it (so a redelivered or
 * re-published copy is never sent twice), let the channel deliver the units not yet delivered,
 * remember and record what happened, and tell the bus: return to ack, throw to retry, wait or
 * dead-letter.
 */
import type { SendResult } from '@nm/channels';
import type { HandlerContext } from '@nm/bus';
import { PAYLOAD_VERSION, subjects, type ApiOutcome, type Channel, type Notification } from '@nm/contracts';
import type { ConfigStoreReader } from '@nm/config-store';
import { ClassifiedError, PermanentError, RetryableError, WaitError, classifyError, errorMessage } from '@nm/errors';
import { isEnabled, receiverSection, type ConfigIndex, type Receiver, type ReceiverSectionCommon } from '@nm/model';
import { lazyChild, type Logger } from '@nm/telemetry';
import type { DeliveredStore } from './delivered.store.js';
import type { DeliveryLeases, HeldLease } from './delivery.lease.js';
import { buildJob, labelReceiverInPlace } from './delivery.job.js';
import { deliverySpan } from './delivery.span.js';
import { openApiSend, type ApiSendOpener } from './api.send.js';
import type { HistoryWriter } from './history.writer.js';
import { NO_UNIT, historyRecord, settle } from './outcome.settle.js';
import type { RevisionCache, RevisionState } from './revision.cache.js';
import type { SenderMetrics } from './sender.metrics.js';
import type { DeliveryJob, SenderSpec } from './sender.types.js';

export interface DeliveryParts<Target> {
  spec: SenderSpec<Target>;
  config: ConfigStoreReader;
  cache: RevisionCache;
  leases: DeliveryLeases;
  store: DeliveredStore;
  history: HistoryWriter;
  metrics: SenderMetrics;
  /** The retry budget (0 = unlimited). */
  maxAttempts: number;
  /** Aborted when the sender stops. */
  stopping: AbortSignal;
  /** Opens the sealed Receiver/Config of API sends (`POST /api/v2/verify`, `/api/v2/notifications`). */
  apiSends?: ApiSendOpener;
  /** Publishes the outcome of an API send to the waiting caller (core NATS; best effort). */
  reply?: (subject: string, outcome: ApiOutcome) => void;
}

export class NotificationDelivery<Target> {
  private readonly channel: Channel;

  constructor(private readonly parts: DeliveryParts<Target>) {
    this.channel = parts.spec.sender.channel;
  }

  /** The consume loop's handler. */
  readonly handle = async (n: Notification, ctx: HandlerContext): Promise<void> => {
    const { channel, parts } = this;
    const log = lazyChild(ctx.logger, { notification: n.id, receiver: n.receiver.name, channel });
    if (n.receiver.channel !== channel) {
      throw new PermanentError(`notification for channel ${n.receiver.channel} arrived on ${subjects.notify(channel)}`, { code: 'CHANNEL_MISMATCH' });
    }
    if (!parts.config.isLoaded()) throw new WaitError('configuration is not loaded yet', { code: 'CONFIG_NOT_LOADED', retryAfterMs: 1000 });
    const state = parts.cache.of(parts.config.current());
    // An API send brings its Receiver (and Config); anything else names a Receiver of the cluster.
    let receiver: Receiver | undefined;
    let configIndex: ConfigIndex | undefined;
    if (n.api) {
      let inline;
      try {
        inline = openApiSend(parts.apiSends, n.api, state.settings, new Date());
      } catch (err) {
        return this.failWhole(n, ctx, err, '');
      }
      receiver = inline.receiver;
      configIndex = inline.configIndex;
    } else receiver = state.receiver(n.receiver.name);
    if (!receiver) return this.failWhole(n, ctx, new PermanentError(`receiver "${n.receiver.name}" not found`, { code: 'RECEIVER_NOT_FOUND' }), '');
    const section = receiverSection(receiver, channel);
    if (!section) {
      const missing = new PermanentError(`receiver "${n.receiver.name}" has no ${channel} section`, { code: 'RECEIVER_SECTION_MISSING' });
      return this.failWhole(n, ctx, missing, '');
    }
    // notification-manager's verify and notifications APIs send to the section they are given, enabled or not
    if (!n.api && !isEnabled(section)) {
      parts.metrics.skipped('disabled');
      log.debug('receiver section disabled, notification skipped');
      return;
    }
    const lease = await parts.leases.claim(n.id, log, parts.stopping);
    if (lease.state === 'done') {
      this.replyOutcome(n, 'delivered');
      parts.metrics.count('duplicate');
      log.debug('already delivered, acked without sending');
      return;
    }
    const historyWebhook = state.snapshot.notificationManager?.spec.history?.webhook;
    const historyAlerts = historyWebhook !== undefined && isEnabled(historyWebhook);
    // When `n` is this handler's own parse of the message (not a payload handed over by the
    // aggregator on this thread, which both sides must leave unchanged), and unless the history
    // webhook is to receive its alerts as they were (without the label, as notification-manager's
    // history does), they are labelled once here instead of copied for every rendering.
    if (!ctx.shared && (!historyAlerts || n.api)) labelReceiverInPlace(n.alerts, receiver.metadata.name);
    try {
      const result = await this.send(n, ctx, { state, receiver, section, lease, log, configIndex });
      await this.record(n, ctx, result, lease, log, historyAlerts);
    } finally {
      lease.end();
    }
  };

  private lastAttempt(ctx: HandlerContext, n?: Notification): boolean {
    if (n?.api && ctx.attempt >= n.api.maxAttempts) return true;
    return this.parts.maxAttempts > 0 && ctx.attempt >= this.parts.maxAttempts;
  }

  /**
   * An API send's budget (`api.maxAttempts`) is smaller than the stream's: once its caller has
   * been answered, a retryable failure of its last attempt ends it (dead-lettered with the reason)
   * instead of going on to send to a destination nobody waits on.
   */
  private apiFinal(n: Notification, ctx: HandlerContext, failure: ClassifiedError): ClassifiedError {
    if (!n.api || !(failure instanceof RetryableError) || failure instanceof WaitError || ctx.attempt < n.api.maxAttempts) return failure;
    return new PermanentError(`${failure.message} (the API send's ${n.api.maxAttempts} attempts are spent)`, { code: 'API_ATTEMPTS_SPENT', cause: failure });
  }

  /** Tells the caller of an API send its final outcome (nothing for other notifications). */
  private replyOutcome(n: Notification, result: ApiOutcome['result'], error?: string): void {
    if (!n.api || !this.parts.reply) return;
    const outcome: ApiOutcome = {
      version: PAYLOAD_VERSION,
      requestId: n.api.requestId,
      notificationId: n.id,
      receiver: n.receiver,
      result,
      ...(error !== undefined ? { error } : {}),
      time: new Date().toISOString(),
    };
    this.parts.reply(subjects.apiOutcome(n.api.requestId), outcome);
  }

  /** Builds the job and lets the channel send it; a failure before any unit was tried is recorded and thrown. */
  private async send(
    n: Notification,
    ctx: HandlerContext,
    to: { state: RevisionState; receiver: Receiver; section: ReceiverSectionCommon; lease: HeldLease; log: Logger; configIndex?: ConfigIndex | undefined },
  ): Promise<SendResult> {
    const { spec, stopping, metrics } = this.parts;
    const end = metrics.timeDelivery();
    let job: DeliveryJob | undefined;
    try {
      job = buildJob(to.state, {
        channel: this.channel,
        notification: n,
        receiver: to.receiver,
        section: to.section,
        deliveredKeys: to.lease.deliveredKeys,
        attempt: ctx.attempt,
        lastAttempt: this.lastAttempt(ctx, n),
        signal: stopping,
        logger: to.log,
        ...(to.configIndex ? { configIndex: to.configIndex } : {}),
      });
      const built = job;
      return await deliverySpan(this.channel, n, ctx.attempt, () =>
        spec.sender.send(
          spec.targetOf(built),
          { kind: 'alerts', alerts: n.alerts, render: built.render },
          { notificationId: n.id, deliveredKeys: built.deliveredKeys, signal: stopping },
        ),
      );
    } catch (err) {
      await to.lease.release();
      if (stopping.aborted) throw new WaitError('sender stopped during delivery', { code: 'SENDER_STOPPED', cause: err });
      return await this.failWhole(n, ctx, err, this.describe(job));
    } finally {
      end();
    }
  }

  private describe(job: DeliveryJob | undefined): string {
    try {
      return job && this.parts.spec.describeDestination ? this.parts.spec.describeDestination(job) : '';
    } catch {
      return ''; // the destination itself is what is broken
    }
  }

  /** Records a failure of the whole notification (before any unit was tried) when it is final, and throws it. */
  private async failWhole(n: Notification, ctx: HandlerContext, error: unknown, destination: string): Promise<never> {
    const c = classifyError(error, `${this.channel}:error`);
    const final = c.kind === 'permanent' || (c.kind === 'retryable' && this.lastAttempt(ctx, n));
    if (final) {
      const sctx = { channel: this.channel, notification: n, attempt: ctx.attempt, lastAttempt: this.lastAttempt(ctx, n), time: new Date() };
      const record = historyRecord(sctx, { destination, alertIds: n.alerts.map((a) => a.id), result: 'failed', error: c.message });
      const { error: unrecorded } = await this.parts.history.publish([{ key: NO_UNIT, record }], ctx.childTraceparent);
      if (unrecorded) throw new WaitError(`history not recorded: ${errorMessage(unrecorded)}`, { code: 'HISTORY_UNAVAILABLE', cause: unrecorded });
      this.parts.metrics.count('failed');
      this.replyOutcome(n, 'failed', c.message);
    } else this.parts.metrics.count('retry');
    throw this.apiFinal(n, ctx, error instanceof ClassifiedError ? error : new RetryableError(c.message, { code: c.code, cause: error }));
  }

  /**
   * Publishes history, remembers the delivered units where another attempt follows, then acks
   * (returns) or throws the failure. When every unit was delivered and its history published,
   * `markDone` is the only write: remembering the units first would only serve an attempt that
   * does not come. When one does come (a unit failed, or history could not be published), the
   * delivered units and their unpublished records are remembered before the failure is thrown, so
   * it sends only what is missing and publishes what is owed. A crash between the send and the
   * history's acknowledgement sends again on redelivery, as a crash between the send and any
   * first durable write does.
   */
  private async record(n: Notification, ctx: HandlerContext, result: SendResult, lease: HeldLease, log: Logger, historyAlerts: boolean): Promise<void> {
    const { store, history, metrics } = this.parts;
    const s = settle(result, { channel: this.channel, notification: n, attempt: ctx.attempt, lastAttempt: this.lastAttempt(ctx, n), time: new Date(), historyAlerts });
    const remembered = [...lease.pendingHistory, ...s.delivered];
    const { published, error } = await history.publish([...remembered, ...s.failures], ctx.childTraceparent);
    if (error || s.failure) {
      try {
        await store.markUnits(n.id, s.delivered);
      } catch (err) {
        await lease.release();
        log.error({ err: errorMessage(err), units: s.delivered.map((d) => d.key) }, 'delivered units not remembered');
        throw new WaitError(`redis unavailable: ${errorMessage(err)}`, { code: 'REDIS_UNAVAILABLE', cause: err });
      }
      await store.historyPublished(n.id, published.filter((k) => remembered.some((r) => r.key === k))).catch(() => undefined);
      await lease.release();
      if (error) {
        metrics.count('retry');
        throw new WaitError(`history not recorded: ${errorMessage(error)}`, { code: 'HISTORY_UNAVAILABLE', cause: error });
      }
    }
    metrics.count(s.result);
    if (s.result !== 'retry') this.replyOutcome(n, s.failure ? (s.result === 'partial' ? 'partial' : 'failed') : 'delivered', s.failure?.message);
    if (s.failure) throw this.apiFinal(n, ctx, s.failure);
    try {
      await store.markDone(n.id);
    } catch (err) {
      // Delivered and recorded: ack anyway (only a lost ack as well would bring it back, and send it again).
      log.error({ err: errorMessage(err) }, 'notification delivered but not marked delivered');
    }
    if (s.result === 'delivered') metrics.delivered(n);
    log.debug({ result: s.result }, 'notification handled');
  }
}
