import { ZERO_TIME, type Alert } from '@nm/contracts';

/**
 * Alertmanager's aggregation rules as pure functions (reference: alertmanager.md §2.2, §5):
 * the merge of a re-sent alert into the stored one, the resolved test, and the notification-log
 * decision table of a group flush.
 */

/** An alert as a stateful group stores it. */
export interface GroupedAlert {
  alert: Alert;
  /** When this alert was last received (ms): the younger alert's fields win a merge. */
  updatedAt: number;
  /** `endsAt` was set from `resolveTimeout` (the client sent none), not by the client. */
  timeout: boolean;
}

const isZero = (t: string | undefined): boolean => !t || t === ZERO_TIME || t.startsWith('0001-01-01');
const ms = (t: string): number => Date.parse(t);

/** Resolved at `nowMs` iff `endsAt` is set and not after `nowMs`. */
export function isResolvedAt(alert: Pick<Alert, 'endsAt'>, nowMs: number): boolean {
  return !isZero(alert.endsAt) && ms(alert.endsAt) <= nowMs;
}

/**
 * A received alert as stored: without an `endsAt`, it ends `resolveTimeoutMs` after it was received
 * (a lease the client renews by re-sending), marked as a timeout.
 */
export function received(alert: Alert, nowMs: number, resolveTimeoutMs: number): GroupedAlert {
  if (alert.status === 'resolved' || !isZero(alert.endsAt)) return { alert, updatedAt: nowMs, timeout: false };
  return { alert: { ...alert, endsAt: new Date(nowMs + resolveTimeoutMs).toISOString() }, updatedAt: nowMs, timeout: true };
}

/**
 * Whether `incoming` continues the stored alert (same occurrence) rather than starting a new one:
 * it starts while the stored one is still active, or at the same time.
 */
export function continues(stored: GroupedAlert, incoming: GroupedAlert): boolean {
  const s = ms(stored.alert.startsAt);
  const i = ms(incoming.alert.startsAt);
  if (i === s) return true;
  return i > s && (isZero(stored.alert.endsAt) || i < ms(stored.alert.endsAt));
}

/**
 * Alertmanager's merge: the younger alert's fields (annotations, generatorURL…) win; the earliest
 * `startsAt` wins; when the younger is resolved, the later explicit resolve time wins; when it is
 * firing, an older later `endsAt` wins unless it came from a timeout.
 */
export function mergeAlert(a: GroupedAlert, b: GroupedAlert): GroupedAlert {
  const [older, younger] = b.updatedAt < a.updatedAt ? [b, a] : [a, b];
  const res: GroupedAlert = { ...younger, alert: { ...younger.alert } };
  if (ms(older.alert.startsAt) < ms(younger.alert.startsAt)) res.alert.startsAt = older.alert.startsAt;
  const youngerResolved = isResolvedAt(younger.alert, younger.updatedAt);
  const olderEnd = isZero(older.alert.endsAt) ? -Infinity : ms(older.alert.endsAt);
  const youngerEnd = isZero(younger.alert.endsAt) ? -Infinity : ms(younger.alert.endsAt);
  if (youngerResolved) {
    if (isResolvedAt(older.alert, older.updatedAt) && olderEnd > youngerEnd) res.alert.endsAt = older.alert.endsAt;
  } else if (olderEnd > youngerEnd && !older.timeout) {
    res.alert.endsAt = older.alert.endsAt;
    res.timeout = false;
  }
  return res;
}

/** The notification log entry of one group at one receiver. */
export interface NflogEntry {
  /** When the last notification was published (ms). */
  timestamp: number;
  firing: readonly string[];
  resolved: readonly string[];
}

export type NotifyReason =
  | 'first notification'
  | 'new alerts added'
  | 'all alerts resolved'
  | 'some alerts resolved'
  | 'repeat interval elapsed';

export interface NotifyDecision {
  send: boolean;
  reason?: NotifyReason;
}

const subset = (a: readonly string[], b: ReadonlySet<string>): boolean => a.every((x) => b.has(x));

/**
 * The notification-log decision (alertmanager.md §5.3): `firing`/`resolved` are the hashes of the
 * group's alerts after muting, at the flush instant `nowMs`.
 */
export function nflogDecision(
  entry: NflogEntry | undefined,
  firing: readonly string[],
  resolved: readonly string[],
  opts: { nowMs: number; repeatIntervalMs: number; sendResolved: boolean },
): NotifyDecision {
  if (!entry) return firing.length > 0 ? { send: true, reason: 'first notification' } : { send: false };
  const prevFiring = new Set(entry.firing);
  if (!subset(firing, prevFiring)) return { send: true, reason: prevFiring.size === 0 ? 'first notification' : 'new alerts added' };
  if (firing.length === 0) return prevFiring.size > 0 ? { send: true, reason: 'all alerts resolved' } : { send: false };
  if (opts.sendResolved && !subset(resolved, new Set(entry.resolved))) return { send: true, reason: 'some alerts resolved' };
  if (entry.timestamp < opts.nowMs - opts.repeatIntervalMs) return { send: true, reason: 'repeat interval elapsed' };
  return { send: false };
}

/** How long a log entry is kept: twice the repeat interval, at most `retentionMs` (default 120 h). */
export function nflogExpiryMs(repeatIntervalMs: number, retentionMs = 120 * 3_600_000): number {
  return Math.min(retentionMs, 2 * repeatIntervalMs);
}
