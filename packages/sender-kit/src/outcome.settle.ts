/**
 * Turns what a channel reported into history records and the one decision the bus acts on.
 * Pure: no I/O, no clock (the time is passed in).
 *
 * History policy: a delivered (or partially delivered) unit is recorded once, by the attempt that
 * delivered it; a permanent failure is recorded by the attempt that saw it; a retryable failure
 * only when it is final (the last allowed attempt), so retries do not flood the history. Units an
 * earlier attempt delivered (`duplicate`) are not recorded again.
 */
import { PAYLOAD_VERSION, type Channel, type DeliveryResult, type HistoryRecord, type Notification } from '@nm/contracts';
import type { DeliveryOutcomeLike, DeliveryReport } from './sender.types.js';

export type NotificationResult = 'delivered' | 'partial' | 'failed' | 'retry' | 'duplicate';

export interface Failure {
  kind: 'retryable' | 'permanent';
  message: string;
  code: string;
  retryAfterMs?: number;
}

export interface Settlement {
  /** Units that reached their destination in this attempt, with their records. */
  delivered: { key: string; record: HistoryRecord }[];
  /** Records of failures, published now and not remembered. */
  failures: { key: string; record: HistoryRecord }[];
  failure?: Failure;
  result: NotificationResult;
}

export interface SettleContext {
  channel: Channel;
  notification: Notification;
  attempt: number;
  lastAttempt: boolean;
  time: Date;
}

/** Whether an error is worth retrying: its `retryable` flag, else its class name; unknown errors retry. */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const e = error as { retryable?: unknown; name?: unknown };
  if (typeof e.retryable === 'boolean') return e.retryable;
  return e.name !== 'PermanentError' && e.name !== 'PartialFailureError';
}

export function errorCode(error: unknown, fallback: string): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code !== '' ? code : fallback;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error || (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string')
    ? (error as { message: string }).message
    : String(error);
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
    destination: fields.destination,
    alertIds: [...fields.alertIds],
    fingerprints: fields.alertIds.map((id) => byId.get(id)).filter((f): f is string => f !== undefined),
    result: fields.result,
    ...(fields.error !== undefined ? { error: fields.error } : {}),
    ...(fields.upstreamMessageId ? { upstreamMessageId: fields.upstreamMessageId } : {}),
    attempt: ctx.attempt,
  };
}

/** Unit key of records about the whole notification (it failed before any unit was tried). */
export const NO_UNIT = 'all';

function failedRecord(ctx: SettleContext, o: DeliveryOutcomeLike): { key: string; record: HistoryRecord } {
  return {
    key: o.key,
    record: historyRecord(ctx, {
      destination: o.destination,
      alertIds: o.alertIds,
      result: 'failed',
      error: o.error ? errorMessage(o.error) : 'failed',
    }),
  };
}

function summarise(kind: Failure['kind'], failed: readonly DeliveryOutcomeLike[], total: number, channel: Channel): Failure {
  const first = failed[0]?.error;
  const waits = failed.map((o) => o.error?.retryAfterMs).filter((w): w is number => typeof w === 'number');
  return {
    kind,
    message: `${channel}: ${failed.length} of ${total} unit(s) failed: ${first ? errorMessage(first) : 'no reason given'}`,
    code: errorCode(first, `${channel}:failed`),
    ...(kind === 'retryable' && waits.length > 0 ? { retryAfterMs: Math.max(...waits) } : {}),
  };
}

export function settle(report: DeliveryReport, ctx: SettleContext): Settlement {
  const outcomes = report.outcomes;
  if (outcomes.length === 0) {
    return {
      delivered: [],
      failures: [
        {
          key: NO_UNIT,
          record: historyRecord(ctx, {
            destination: '',
            alertIds: ctx.notification.alerts.map((a) => a.id),
            result: 'failed',
            error: 'the channel reported no destination',
          }),
        },
      ],
      failure: { kind: 'permanent', message: `${ctx.channel}: the channel reported no destination`, code: `${ctx.channel}:no-destination` },
      result: 'failed',
    };
  }
  const delivered = outcomes
    .filter((o) => o.status === 'delivered' || o.status === 'partial')
    .map((o) => ({
      key: o.key,
      record: historyRecord(ctx, {
        destination: o.destination,
        alertIds: o.alertIds,
        result: o.status === 'partial' ? 'partial' : 'delivered',
        ...(o.status === 'partial' && o.error ? { error: errorMessage(o.error) } : {}),
        upstreamMessageId: o.upstreamMessageId,
      }),
    }));
  const reached = outcomes.some((o) => o.status !== 'failed');
  const failed = outcomes.filter((o) => o.status === 'failed');
  const retryable = failed.filter((o) => isRetryable(o.error));
  const permanent = failed.filter((o) => !isRetryable(o.error));
  const partial = outcomes.filter((o) => o.status === 'partial');

  if (retryable.length > 0) {
    const recorded = ctx.lastAttempt ? failed : permanent;
    return {
      delivered,
      failures: recorded.map((o) => failedRecord(ctx, o)),
      failure: summarise('retryable', retryable, outcomes.length, ctx.channel),
      result: ctx.lastAttempt ? (reached ? 'partial' : 'failed') : 'retry',
    };
  }
  if (permanent.length > 0 || partial.length > 0) {
    return {
      delivered,
      failures: permanent.map((o) => failedRecord(ctx, o)),
      failure: summarise('permanent', [...permanent, ...partial], outcomes.length, ctx.channel),
      result: reached ? 'partial' : 'failed',
    };
  }
  return { delivered, failures: [], result: outcomes.every((o) => o.status === 'duplicate') ? 'duplicate' : 'delivered' };
}
