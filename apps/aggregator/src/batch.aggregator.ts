import { createHash } from 'node:crypto';
import {
  PAYLOAD_VERSION,
  receiverKey,
  subjects,
  type Alert,
  type AlertSource,
  type Notification,
  type ReceiverRef,
  type RoutedBatch,
} from '@nm/contracts';
import { MessageTooLargeError, payloadLimit, PermanentError, WaitError, type HandlerContext, type Publisher } from '@nm/bus';
import { groupAlerts, labelSetString } from '@nm/model';
import type { IntakeReader } from '@nm/service-kit';
import { activeSpan, type Logger, type Metrics, type SpanContext } from '@nm/telemetry';
import { notificationSpan } from './notification.span.js';
import { groupDigest, memoryPublishedLog, publishedEntry, type PublishedLog } from './published.log.js';
import { NO_BACKLOG, type Backlog } from './notify.backlog.js';
import { InputLag } from './input.lag.js';

export interface BatchSettings {
  groupLabels: readonly string[];
  batchMaxSize: number;
  batchMaxWaitMs: number;
}

/** Memory bounds of one aggregator process (besides the held messages, bounded by the consumer's concurrency). */
export interface AggregatorLimits {
  /** Open groups in total; at the limit, messages that need new groups wait for flushes (back-pressure). */
  maxGroups: number;
  /** A group is flushed as soon as it holds this many alerts (or `batchMaxSize`, whichever is smaller). */
  maxGroupAlerts: number;
  /**
   * Coalescing under load: when a group is due while its channel's senders have more than this
   * many notifications unfinished, it keeps collecting alerts (re-checked every batchMaxWait, at
   * least 50 ms) — its notification would only have queued behind them — as long as the input
   * has not ended (`InputLag.ended`: once nothing more can join it, holding it only keeps it from
   * the senders). 0 turns coalescing off.
   */
  coalesceBacklog: number;
  /**
   * The longest a group is held that way, counted from its first alert (default 2 s: under a burst
   * longer than that, groups go out every 2 s instead of all at its end; docs/performance.md,
   * "Twenty-third round").
   */
  coalesceMaxMs: number;
  /**
   * Coalescing while the input is late: a due group also keeps collecting while routed messages
   * arrive more than this many ms later after ingest received them than the lowest such delay of
   * the last minute (the stages before the aggregator are behind; `InputLag`). 0 turns it off.
   */
  coalesceLagMs: number;
}

const FORGET_DELAY_MS = 10_000;

/**
 * The longest run of due groups' flushes in one turn of the event loop, ms. Groups held until the
 * input ends all fall due at that moment (their timers are set to it): flushed in one turn, the
 * whole wave (a thousand groups: a quarter second of encoding and more) would run before the
 * connection writes its first publish (writes are coalesced per turn), and the senders would wait
 * for all of it. Flushed a slice per turn, the first notifications are on their way while the
 * rest are encoded.
 */
export const FLUSH_SLICE_MS = 5;

/** How often the input's end is checked while groups are held for late input and ingest's state is given (`intake`), ms. */
export const INTAKE_CHECK_MS = 10;

export const DEFAULT_AGGREGATOR_LIMITS: AggregatorLimits = { maxGroups: 20_000, maxGroupAlerts: 10_000, coalesceBacklog: 32, coalesceMaxMs: 2_000, coalesceLagMs: 100 };

interface OpenGroup {
  id: string;
  receiver: ReceiverRef;
  groupKey: string;
  labels: Record<string, string>;
  /**
   * The group's alerts, each as the JSON its notification carries: one string per alert while the
   * group waits, instead of a dozen objects that every collection would trace and copy.
   */
  alerts: string[];
  /** The alerts' ids, in the same order. */
  ids: string[];
  /**
   * The routed message (its `msgId`) each alert came from, to record what was published; its keys
   * are the group's alert ids (a redelivered message re-adds none).
   */
  origins: Map<string, string>;
  /** The span that handled each alert's routed message (tracing on only): the notification links to it. */
  traces: Map<string, SpanContext>;
  externalURL: string | undefined;
  source: AlertSource;
  createdAt: number;
  timer: NodeJS.Timeout | undefined;
  /** The handlers (routed messages) waiting for this group, each counting its groups still open. */
  waiters: MessageWait[];
  /** Its notification is counted in the senders' backlog already (queued for a flush, `flushSoon`). */
  counted?: boolean;
}

/** One routed message's wait for every group it fed: settles when the last one was published, or at the first failure. */
interface MessageWait {
  open: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A notification's fields before its alerts, in the order they are serialised. */
type NotificationHead = Pick<Notification, 'version' | 'id' | 'createdAt' | 'receiver' | 'groupKey' | 'groupLabels'>;
/** A notification's fields after its alerts. */
type NotificationTail = Pick<Notification, 'part' | 'externalURL' | 'source'>;

interface Part {
  head: NotificationHead;
  ids: readonly string[];
  encoded: Uint8Array;
}

/**
 * The bytes of the notification `head` + `alerts` (`alertsJson[from..to]`, each an alert's JSON) +
 * `tail`: exactly `JSON.stringify` of the whole notification, its alerts not serialised again.
 */
export function encodeNotification(head: NotificationHead, alertsJson: readonly string[], from: number, to: number, tail: NotificationTail): Uint8Array {
  const h = JSON.stringify(head);
  const t = JSON.stringify(tail);
  const alerts = from === 0 && to === alertsJson.length ? alertsJson.join(',') : alertsJson.slice(from, to).join(',');
  return Buffer.from(`${h.slice(0, -1)},"alerts":[${alerts}],${t.slice(1)}`, 'utf8');
}

/**
 * Consecutive ranges of `alertsJson` of at most `size` alerts, each serialising within `limit`
 * bytes with the largest header and tail (`head`, `tail`) its notification can have. An alert
 * that does not fit alone is a MessageTooLargeError (permanent).
 */
function partRanges(alertsJson: readonly string[], size: number, limit: number, head: NotificationHead, tail: NotificationTail): Array<[number, number]> {
  const fixed = encodeNotification(head, [], 0, 0, tail).byteLength;
  const ranges: Array<[number, number]> = [];
  let from = 0;
  let bytes = fixed;
  for (let i = 0; i < alertsJson.length; i++) {
    const b = Buffer.byteLength(alertsJson[i]!, 'utf8');
    if (fixed + b > limit) throw new MessageTooLargeError(`one alert alone makes a ${fixed + b}-byte notification, over the server's max_payload less headers (${limit})`);
    const grown = bytes + (i > from ? 1 : 0) + b;
    if (i > from && (i - from >= size || grown > limit)) {
      ranges.push([from, i]);
      from = i;
      bytes = fixed + b;
    } else bytes = grown;
  }
  if (alertsJson.length > from) ranges.push([from, alertsJson.length]);
  return ranges;
}

/**
 * `s`, stored flat: `JSON.stringify` returns a string made of several joined pieces (about 620
 * bytes of heap for a 430-character alert); reading a character makes the engine copy it into
 * one piece (about 480 bytes), and the pieces become garbage at once instead of being held.
 */
function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

/** Stable notification id: the same receiver, group and alerts always give the same id. */
export function notificationId(receiver: ReceiverRef, groupKey: string, alertIds: readonly string[], part: number): string {
  const h = createHash('sha256');
  h.update(`${receiver.tenant}\u0000${receiverKey(receiver)}\u0000${groupKey}\u0000${part}\u0000`);
  for (const id of [...alertIds].sort()) h.update(id + ',');
  return h.digest('hex').slice(0, 32);
}

/**
 * Batch mode (notification-manager semantics): per receiver, alerts are grouped by `groupLabels`;
 * a group is flushed `batchMaxWait` after its first alert (or at once when it reaches
 * `batchMaxSize`), and every received alert is notified once. A routed message is acknowledged
 * only after every group it fed was published to JetStream, so a crash redelivers it instead of
 * losing alerts. Groups larger than `batchMaxSize` are split into parts.
 */
export class BatchAggregator {
  private readonly groups = new Map<string, OpenGroup>();
  private readonly flushed;
  private readonly open;
  private readonly skipped;
  private readonly recordFailures;
  private readonly throttled;
  private readonly held;
  private readonly inputLag: InputLag;
  private readonly limits: AggregatorLimits;
  private readonly log: PublishedLog;
  /** Handlers waiting for room in the group map. */
  private roomWaiters: Array<() => void> = [];

  constructor(
    private readonly deps: {
      publisher: Publisher;
      settings: () => BatchSettings;
      logger: Logger;
      metrics: Metrics;
      limits?: Partial<AggregatorLimits>;
      /** Durable record of published (group, alert) pairs per routed message (default: in memory). */
      publishedLog?: PublishedLog;
      /** Unfinished notifications per channel, for coalescing (default: none known, no coalescing). */
      backlog?: Backlog;
      /** Ingest's state, where this aggregator's input is its messages inline (`InputLagOptions.intake`). */
      intake?: IntakeReader;
    },
  ) {
    this.flushed = deps.metrics.counter('nm_aggregator_notifications_total', 'Notifications emitted, by channel', ['channel'] as const);
    this.open = deps.metrics.gauge('nm_aggregator_open_groups', 'Groups waiting to be flushed');
    this.skipped = deps.metrics.counter(
      'nm_aggregator_redelivered_alerts_skipped_total',
      'Alerts of a redelivered routed message not grouped again because they were already published',
    );
    this.recordFailures = deps.metrics.counter(
      'nm_aggregator_published_record_failures_total',
      'Published notifications whose (group, alert) pairs could not be recorded (a redelivery could repeat them)',
    );
    this.throttled = deps.metrics.counter('nm_aggregator_group_limit_waits_total', 'Messages that waited because the open-group limit was reached');
    this.held = deps.metrics.counter(
      'nm_aggregator_coalesce_holds_total',
      'Times a due group kept collecting alerts (coalescing under load), by reason: senders-behind (its channel\'s notifications wait for a sender) or input-late (routed messages arrive late after ingest received them)',
      ['channel', 'reason'] as const,
    );
    this.limits = { ...DEFAULT_AGGREGATOR_LIMITS, ...(deps.limits ?? {}) };
    this.inputLag = new InputLag({ thresholdMs: this.limits.coalesceLagMs, burstsWithinMs: this.limits.coalesceMaxMs, ...(deps.intake ? { intake: deps.intake } : {}) });
    this.log = deps.publishedLog ?? memoryPublishedLog();
  }

  /** Whether `needed` new groups fit under the group limit (an empty map always admits). */
  private hasRoom(needed: number): boolean {
    return needed === 0 || this.groups.size === 0 || this.groups.size + needed <= this.limits.maxGroups;
  }

  private wakeRoomWaiters(): void {
    const w = this.roomWaiters;
    this.roomWaiters = [];
    w.forEach((f) => f());
  }

  /**
   * Adds a routed message's alerts; resolves when all the groups they joined were published.
   * While it waits (up to a coalescing hold) only the groups reference the alerts: the parsed
   * message itself (its routes and receivers) is not kept alive by a suspended frame.
   */
  handle = (batch: RoutedBatch, ctx: HandlerContext): Promise<void> =>
    this.add(batch, ctx).then(({ published }) => published).then(() => this.acked(ctx));

  /** Groups the message's alerts; `published` settles when every group they joined was published. */
  private async add(batch: RoutedBatch, ctx: HandlerContext): Promise<{ published: Promise<void> }> {
    const settings = this.deps.settings();
    const redelivered = ctx.deliveryCount > 1;
    // input all the same, but a redelivered message is late by its retries, not by the stages before this one
    this.inputLag.observe(redelivered ? undefined : batch.receivedAt, ctx.streamSeq);
    let done: ReadonlySet<string> = new Set();
    if (redelivered) {
      try {
        done = await this.log.published(ctx.msgId);
      } catch (err) {
        throw new WaitError(`published-notification log unavailable: ${(err as Error).message}`, { code: 'REDIS_UNAVAILABLE', cause: err });
      }
    }
    const perReceiver = new Map<number, Alert[]>();
    for (const route of batch.routes)
      for (const r of route.receivers) {
        const list = perReceiver.get(r);
        if (list) list.push(route.alert);
        else perReceiver.set(r, [route.alert]);
      }
    const planned: Array<{ receiver: ReceiverRef; groupKey: string; id: string; labels: Record<string, string>; alerts: Alert[] }> = [];
    for (const [r, alerts] of perReceiver) {
      const receiver = batch.receivers[r];
      if (!receiver) throw new PermanentError(`routed batch references receiver #${r} that it does not define`, { code: 'INVALID_ROUTED_BATCH' });
      for (const g of groupAlerts(alerts, settings.groupLabels)) {
        const groupKey = `${receiverKey(receiver)}:${labelSetString(g.labels)}`;
        const id = `${receiver.tenant}\u0000${groupKey}`;
        const digest = done.size === 0 ? '' : groupDigest(id);
        const fresh = done.size === 0 ? g.alerts : g.alerts.filter((a) => !done.has(publishedEntry(id, a.id, digest)));
        if (fresh.length < g.alerts.length) this.skipped.inc(g.alerts.length - fresh.length);
        if (fresh.length > 0) planned.push({ receiver, groupKey, id, labels: g.labels, alerts: fresh });
      }
    }
    // Back-pressure: wait for flushes while the new groups would not fit. The check and the adding
    // below run without an await between them, so concurrent handlers cannot overshoot the limit.
    if (!this.hasRoom(this.needed(planned))) {
      this.throttled.inc();
      while (!this.hasRoom(this.needed(planned))) await new Promise<void>((r) => this.roomWaiters.push(r));
    }
    const handling = activeSpan()?.spanContext();
    const flushAt = Math.max(1, Math.min(settings.batchMaxSize > 0 ? settings.batchMaxSize : Infinity, this.limits.maxGroupAlerts));
    let wait!: MessageWait;
    const waited = new Promise<void>((resolve, reject) => {
      wait = { open: planned.length, resolve, reject };
    });
    for (const { receiver, groupKey, id, labels, alerts } of planned) {
        const g = { labels, alerts };
        let group = this.groups.get(id);
        if (!group) {
          group = {
            id,
            receiver,
            groupKey,
            labels: g.labels,
            alerts: [],
            ids: [],
            origins: new Map(),
            traces: new Map(),
            externalURL: batch.externalURL,
            source: batch.source,
            createdAt: Date.now(),
            timer: undefined,
            waiters: [],
          };
          this.groups.set(id, group);
          group.timer = this.dueIn(group, settings.batchMaxWaitMs);
          this.open.set(this.groups.size);
        }
        for (const a of g.alerts) {
          if (group.origins.has(a.id)) continue; // a redelivered message re-adds nothing
          group.origins.set(a.id, ctx.msgId);
          if (handling) group.traces.set(a.id, handling);
          group.ids.push(a.id);
          group.alerts.push(flat(JSON.stringify(a)));
        }
        group.waiters.push(wait);
        if (group.alerts.length >= flushAt) {
          clearTimeout(group.timer);
          void this.flush(group);
        }
    }
    ctx.logger.debug({ groups: planned.length }, 'alerts added to groups');
    if (planned.length === 0) wait.resolve();
    return { published: waited };
  }

  /**
   * New groups among `planned` (ids distinct). A method, not a closure of `add`: nothing created
   * there that outlives it (a group's timer) may keep the planned alerts alive.
   */
  private needed(planned: ReadonlyArray<{ id: string }>): number {
    // every planned group new still fits (the common case): no need to count them
    if (this.groups.size + planned.length <= this.limits.maxGroups) return planned.length;
    let n = 0;
    for (const p of planned) if (!this.groups.has(p.id)) n += 1;
    return n;
  }

  /** A timer that makes `group` due in `ms` (created here: its closure keeps only the group). */
  private dueIn(group: OpenGroup, ms: number): NodeJS.Timeout {
    return setTimeout(() => this.due(group), ms);
  }

  /** How much later than usual the last routed message arrived after ingest received it, ms (`InputLag.excessMs`). */
  inputLateMs(): number {
    return this.inputLag.excessMs();
  }

  /** The message's groups were all published: its published pairs can be forgotten once it is acked. */
  private acked(ctx: HandlerContext): void {
    if (ctx.deliveryCount > 1 || this.recorded.has(ctx.msgId)) {
      this.recorded.delete(ctx.msgId);
      // Forgotten a little after the ack the consume loop sends on return (a crash before that
      // ack redelivers the message, which must still find its record); the TTL is the fallback.
      const msgId = ctx.msgId;
      setTimeout(() => void this.log.forget(msgId).catch(() => undefined), FORGET_DELAY_MS).unref();
    }
  }

  /**
   * A group's wait is over: flush it, or hold it a little longer while its channel's senders are
   * behind or its input arrives late (coalescing under load), as long as more input may still join
   * it, at most `coalesceMaxMs` from its first alert.
   */
  private due(group: OpenGroup): void {
    const { coalesceBacklog, coalesceMaxMs } = this.limits;
    // nothing more can join a group once the input has ended: neither reason holds it then
    const reason = this.inputLag.ended()
      ? undefined
      : coalesceBacklog > 0 && (this.deps.backlog ?? NO_BACKLOG).of(group.receiver.channel) > coalesceBacklog
        ? 'senders-behind'
        : this.inputLag.behind()
          ? 'input-late'
          : undefined;
    if (reason && Date.now() - group.createdAt < coalesceMaxMs && this.groups.get(group.id) === group) {
      this.held.inc({ channel: group.receiver.channel, reason });
      if (reason === 'input-late') this.holdUntilIntakeEnds(group);
      const step = Math.max(50, this.deps.settings().batchMaxWaitMs);
      // checked again after a step, at its coalescing limit, or when the input would have ended, whichever comes first
      const next = Math.min(step, group.createdAt + coalesceMaxMs - Date.now(), this.inputLag.untilEndedMs() + 1);
      group.timer = this.dueIn(group, Math.max(1, next));
      return;
    }
    this.flushSoon(group);
  }

  /** Groups held because their input is late, while the input's end may come from ingest (`intake`). */
  private readonly holding = new Set<OpenGroup>();
  private intakeWatch: NodeJS.Timeout | undefined;

  /**
   * Watches for the input's end while `group` is held for late input: an idle ingest ends it
   * between the group's checks (`InputLag.untilEndedMs`), and the held groups are then due at
   * once. Nothing to watch without `intake`: the checks fall on the quiet time's end already.
   */
  private holdUntilIntakeEnds(group: OpenGroup): void {
    if (!this.inputLag.watchesIntake()) return;
    this.holding.add(group);
    if (this.intakeWatch) return;
    this.intakeWatch = setInterval(this.checkIntake, INTAKE_CHECK_MS);
    this.intakeWatch.unref();
  }

  private readonly checkIntake = (): void => {
    if (this.holding.size > 0 && !this.inputLag.ended()) return;
    const held = [...this.holding];
    this.holding.clear();
    clearInterval(this.intakeWatch);
    this.intakeWatch = undefined;
    for (const g of held) {
      if (this.groups.get(g.id) !== g || g.counted) continue;
      clearTimeout(g.timer);
      this.due(g);
    }
  };

  /** Due groups waiting for their flush (`flushSoon`), in the order they fell due. */
  private ready: OpenGroup[] = [];
  private draining = false;

  /**
   * Flushes `group` in the next slice of due flushes (`FLUSH_SLICE_MS`); a group flushed meanwhile
   * is skipped. Its notification counts in the senders' backlog now: groups due in the same turn
   * see it there, as they would if it had been flushed at once.
   */
  private flushSoon(group: OpenGroup): void {
    this.holding.delete(group);
    if (this.groups.get(group.id) !== group || group.counted) return;
    this.deps.backlog?.sent?.(group.receiver.channel);
    group.counted = true;
    this.ready.push(group);
    if (this.draining) return;
    this.draining = true;
    setImmediate(this.drainReady);
  }

  /** One slice of `ready`: flushes until `FLUSH_SLICE_MS` have passed (at least one), the rest in the next turn. */
  private readonly drainReady = (): void => {
    const until = performance.now() + FLUSH_SLICE_MS;
    let n = 0;
    while (n < this.ready.length && (n === 0 || performance.now() < until)) void this.flush(this.ready[n++]!);
    this.ready = this.ready.slice(n);
    if (this.ready.length > 0) setImmediate(this.drainReady);
    else this.draining = false;
  };

  /** Messages with pairs recorded in the published log by this process (forgotten once acked). */
  private readonly recorded = new Set<string>();

  private async flush(group: OpenGroup): Promise<void> {
    if (this.groups.get(group.id) !== group) return;
    // counted now (or when it was queued), before any await: a group due in the same turn sees this notification in the backlog
    if (!group.counted) this.deps.backlog?.sent?.(group.receiver.channel);
    this.groups.delete(group.id);
    this.holding.delete(group); // flushed at its size while held: not watched any longer
    this.open.set(this.groups.size);
    this.wakeRoomWaiters();
    const { batchMaxSize } = this.deps.settings();
    const size = Math.max(1, batchMaxSize);
    const limit = payloadLimit(this.deps.publisher);
    const header = (id: string): NotificationHead => ({
      version: PAYLOAD_VERSION,
      id,
      createdAt: new Date().toISOString(),
      receiver: group.receiver,
      groupKey: group.groupKey,
      groupLabels: group.labels,
    });
    const tail = (index: number, count: number): NotificationTail => ({
      part: { index, count },
      ...(group.externalURL ? { externalURL: group.externalURL } : {}),
      source: group.source,
    });
    /** The part of alerts `from`..`to`: its id, alert ids and bytes. */
    const build = (from: number, to: number, index: number, count: number): Part => {
      const ids = from === 0 && to === group.ids.length ? group.ids : group.ids.slice(from, to);
      const head = header(notificationId(group.receiver, group.groupKey, ids, index));
      return { head, ids, encoded: encodeNotification(head, group.alerts, from, to, tail(index, count)) };
    };
    // Parts of at most batchMaxSize alerts, each also small enough for the server's max_payload.
    // The common case, one part that fits, is serialised once: the bytes checked are the bytes published.
    let parts: Part[] = [];
    let splitError: unknown;
    const whole = group.alerts.length <= size ? build(0, group.alerts.length, 0, 1) : undefined;
    if (whole && whole.encoded.byteLength <= limit) parts = [whole];
    else
      try {
        const ranges = partRanges(group.alerts, size, limit, header('0'.repeat(32)), tail(99_999, 99_999));
        parts = ranges.map(([from, to], index) => build(from, to, index, ranges.length));
      } catch (err) {
        splitError = err;
      }
    const published: Array<readonly string[]> = [];
    const results: Array<PromiseSettledResult<void>> = splitError
      ? [{ status: 'rejected', reason: splitError }]
      : await Promise.allSettled(
          parts.map(({ head, ids, encoded }) =>
            notificationSpan(group, head, ids, (traceparent) =>
              // the payload given is the header only: a sender on this thread decodes the bytes
              this.deps.publisher.publish(subjects.notify(group.receiver.channel), head, {
                msgId: head.id,
                encoded,
                handoff: false,
                ...(traceparent ? { traceparent } : {}),
              }),
            ).then(() => {
              this.flushed.inc({ channel: group.receiver.channel });
              published.push(ids);
            }),
          ),
        );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (published.length > 0) await this.recordPublished(group, published, failure !== undefined);
    if (!failure) {
      for (const w of group.waiters) if (--w.open === 0) w.resolve();
      return;
    }
    const err: unknown = failure.reason;
    this.deps.logger.warn(
      { err: (err as Error).message, group: group.groupKey, partsPublished: published.length, parts: parts.length },
      'flush failed; contributing messages will be redelivered (published parts are not repeated)',
    );
    for (const w of group.waiters) w.reject(err); // the first failure settles it; later ones do nothing
  }

  /**
   * Records the published (group, alert) pairs per contributing message, so a redelivery of one
   * of those messages does not notify them again. Needed only while a message may still be
   * redelivered: always written (a crash before the ack is a redelivery too), forgotten on ack.
   */
  private async recordPublished(group: OpenGroup, published: ReadonlyArray<readonly string[]>, partial: boolean): Promise<void> {
    const entries = new Map<string, string[]>();
    const digest = groupDigest(group.id);
    for (const ids of published)
      for (const id of ids) {
        const m = group.origins.get(id);
        if (m === undefined) continue;
        const list = entries.get(m);
        const e = publishedEntry(group.id, id, digest);
        if (list) list.push(e);
        else entries.set(m, [e]);
      }
    try {
      await this.log.record(entries);
      if (this.recorded.size > 100_000) this.recorded.clear(); // the records' TTL cleans up after
      for (const m of entries.keys()) this.recorded.add(m);
    } catch (err) {
      this.recordFailures.inc();
      this.deps.logger.warn(
        { err: (err as Error).message, group: group.groupKey, partial },
        'published notification not recorded; a redelivery of its messages could notify its alerts again',
      );
    }
  }

  /** Flushes everything now (shutdown). */
  async flushAll(): Promise<void> {
    const all = [...this.groups.values()];
    for (const g of all) clearTimeout(g.timer);
    this.holding.clear();
    clearInterval(this.intakeWatch);
    this.intakeWatch = undefined;
    await Promise.all(all.map((g) => this.flush(g)));
  }

  openGroups(): number {
    return this.groups.size;
  }
}
