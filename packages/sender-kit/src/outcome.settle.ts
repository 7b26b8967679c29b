/**
 * Turns what a channel reported into history records and the one error the bus acts on.
 * Pure: no I/O, no clock (the time is passed in).
 *
 * History policy: a delivered (or partially delivered) unit is recorded once, by the attempt that
 * delivered it; a permanent failure is recorded by the attempt that saw it; a retryable failure
 * only when it is final (the last allowed attempt, and not a wait, which spends no attempt), so
 * retries do not flood the history. Units an earlier attempt delivered (`duplicate`) are not
 * recorded again.
 */
import { failureOf, type DeliveryOutcome, type SendResult } from '@nm/channels';
import { PAYLOAD_VERSION, type Channel, type DeliveryResult, type HistoryRecord, type Notification } from '@nm/contracts';
import { PermanentError, RetryableError, WaitError, type ClassifiedError } from '@nm/errors';
import type { PendingRecord } from './delivered.store.js';
import type { NotificationResult } from './sender.metrics.js';
import { secretFreeDestination, secretFreeText } from './history.redact.js';

export interface Settlement {
  /** Units that reached their destination in this attempt, with their records. */
  delivered: PendingRecord[];
  /** Records of failures, published now and not remembered. */
  failures: PendingRecord[];
  /** What the bus is told (`failureOf` the result): retry, wait or dead-letter. */
  failure?: ClassifiedError;
  result: NotificationResult;
}

export interface SettleContext {
  channel: Channel;
  notification: Notification;
  attempt: number;
  lastAttempt: boolean;
  time: Date;
  /**
   * Whether delivered records carry their alerts (what the history webhook posts); false when no
   * history webhook is configured, so records stay small. Default true.
   */
  historyAlerts?: boolean;
}

export function historyRecord(
  ctx: SettleContext,
  fields: { destination: string; alertIds: readonly string[]; result: DeliveryResult; error?: string | undefined; upstreamMessageId?: string | undefined },
): HistoryRecord {
  const byId = new Map(ctx.notification.alerts.map((a) => [a.id, a.fingerprint]));
  return {
    version: PAYLOAD_VERSION,
    notificationId: ctx.notification.id,
    time: ctx.time.toISOString(),
    tenant: ctx.notification.receiver.tenant,
    receiver: ctx.notification.receiver.name,
    channel: ctx.channel,
    destination: secretFreeDestination(fields.destination),
    alertIds: [...fields.alertIds],
    fingerprints: fields.alertIds.map((id) => byId.get(id)).filter((f): f is string => f !== undefined),
    result: fields.result,
    ...(fields.error !== undefined ? { error: secretFreeText(fields.error) } : {}),
    ...(fields.upstreamMessageId ? { upstreamMessageId: fields.upstreamMessageId } : {}),
    attempt: ctx.attempt,
    ...(ctx.notification.api ? { api: ctx.notification.api.kind } : {}),
  };
}

/**
 * Gives each delivered record the alerts it is the first delivery of within the notification
 * (for the history webhook: notification-manager posts every alert delivered to at least one
 * destination once). Units delivered by an earlier attempt (`duplicate`) carried theirs already.
 */
function withFirstDeliveries(ctx: SettleContext, outcomes: readonly DeliveryOutcome[], delivered: PendingRecord[]): PendingRecord[] {
  if (ctx.notification.api || ctx.historyAlerts === false) return delivered;
  const seen = new Set(outcomes.filter((o) => o.status === 'duplicate').flatMap((o) => o.alertIds));
  const byId = new Map(ctx.notification.alerts.map((a) => [a.id, a]));
  return delivered.map((d) => {
    const first = d.record.alertIds.filter((id) => !seen.has(id) && byId.has(id));
    first.forEach((id) => seen.add(id));
    return first.length === 0 ? d : { ...d, record: { ...d.record, alerts: first.map((id) => byId.get(id)!) } };
  });
}

/** Unit key of records about the whole notification (it failed before any unit was tried). */
export const NO_UNIT = 'all';

function failedRecord(ctx: SettleContext, o: DeliveryOutcome): PendingRecord {
  return {
    key: o.key,
    record: historyRecord(ctx, { destination: o.destination, alertIds: o.alertIds, result: 'failed', error: o.error?.message ?? 'failed' }),
  };
}

export function settle(result: SendResult, ctx: SettleContext): Settlement {
  const { outcomes } = result;
  if (outcomes.length === 0) {
    const error = 'the channel reported no destination';
    const record = historyRecord(ctx, { destination: '', alertIds: ctx.notification.alerts.map((a) => a.id), result: 'failed', error });
    return {
      delivered: [],
      failures: [{ key: NO_UNIT, record }],
      failure: new PermanentError(`${ctx.channel}: ${error}`, { code: `${ctx.channel}:no-destination` }),
      result: 'failed',
    };
  }
  const delivered = withFirstDeliveries(
    ctx,
    outcomes,
    outcomes
    .filter((o) => o.status === 'delivered' || o.status === 'partial')
    .map((o) => ({
      key: o.key,
      record: historyRecord(ctx, {
        destination: o.destination,
        alertIds: o.alertIds,
        result: o.status === 'partial' ? 'partial' : 'delivered',
        ...(o.status === 'partial' && o.error ? { error: o.error.message } : {}),
        upstreamMessageId: o.upstreamMessageId,
      }),
    })),
  );
  const failure = failureOf(result);
  if (!failure) return { delivered, failures: [], result: outcomes.every((o) => o.status === 'duplicate') ? 'duplicate' : 'delivered' };

  const reached = outcomes.some((o) => o.status !== 'failed');
  const failed = outcomes.filter((o) => o.status === 'failed');
  if (failure instanceof RetryableError) {
    const final = ctx.lastAttempt && !(failure instanceof WaitError);
    const recorded = final ? failed : failed.filter((o) => o.error instanceof PermanentError);
    return { delivered, failures: recorded.map((o) => failedRecord(ctx, o)), failure, result: final ? (reached ? 'partial' : 'failed') : 'retry' };
  }
  return { delivered, failures: failed.map((o) => failedRecord(ctx, o)), failure, result: reached ? 'partial' : 'failed' };
}
