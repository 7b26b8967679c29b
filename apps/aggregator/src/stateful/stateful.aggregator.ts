import { createHash } from 'node:crypto';
import { PAYLOAD_VERSION, receiverKey, subjects, ZERO_TIME, type Alert, type Notification, type RoutedBatch } from '@nm/contracts';
import { fitParts, payloadLimit, PermanentError, WaitError, type Publisher } from '@nm/bus';
import { groupAlerts, isResolvedAt, labelSetString, nflogDecision, nflogExpiryMs, received, type GroupedAlert } from '@nm/model';
import { activeSpan, type Logger, type Metrics, type SpanContext } from '@nm/telemetry';
import { groupId, partitionOf, type GroupAddition, type GroupMeta, type GroupState, type StoredGroup } from './group.state.js';
import type { PartitionLeases } from './partition.leases.js';
import { notificationSpan } from '../notification.span.js';

/** Alert fingerprints whose latest trace this process remembers (for the notification span's links). */
const MAX_TRACED_FINGERPRINTS = 100_000;

export interface StatefulSettings {
  groupLabels: readonly string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  resolveTimeoutMs: number;
  sendResolved: boolean;
  /** Alerts per notification part (a group is notified whole, split into parts above this). */
  batchMaxSize: number;
}

/** Fingerprints of a group's alerts muted at `now` (silences and inhibition re-checked at flush time). */
export type MutedAt = (meta: GroupMeta, alerts: readonly Alert[], now: Date) => Promise<ReadonlySet<string>>;

export interface StatefulOptions {
  partitions: number;
  /** How often the owner of a partition looks for due groups. */
  tickMs: number;
  /** Groups flushed at once. */
  flushConcurrency?: number;
}

/**
 * Stateful aggregation (Alertmanager semantics, alertmanager.md §5): alerts are stored per group in
 * Redis by fingerprint, merged; a group flushes `groupWait` after it was created (at once when its
 * first alert is already older than that), then every `groupInterval`; each flush notifies only
 * when the notification log says so; resolved alerts leave the group after a successful flush and
 * an empty group is destroyed. Any replica stores alerts; the owner of a group's partition flushes.
 */
export class StatefulAggregator {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<number> | undefined;
  private stopped = false;
  private readonly flushes;
  private readonly notifications;
  private readonly stored;
  private readonly created;

  constructor(
    private readonly deps: {
      state: GroupState;
      leases: PartitionLeases;
      publisher: Publisher;
      settings: () => StatefulSettings;
      mutedAt: MutedAt;
      logger: Logger;
      metrics: Metrics;
      now?: () => number;
    },
    private readonly opts: StatefulOptions,
  ) {
    const m = deps.metrics;
    this.flushes = m.counter('nm_aggregator_stateful_flushes_total', 'Stateful group flushes, by result (sent, unchanged, muted, failed)', ['result'] as const);
    this.notifications = m.counter('nm_aggregator_notifications_total', 'Notifications emitted, by channel', ['channel'] as const);
    this.stored = m.counter('nm_aggregator_stateful_alerts_stored_total', 'Alerts stored into stateful groups');
    this.created = m.counter('nm_aggregator_stateful_groups_created_total', 'Stateful groups created');
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /**
   * The span that last handled each alert fingerprint (tracing on): a notification links to its
   * alerts' traces when this process flushes it (groups live in Redis without trace context, so a
   * flush by another replica carries no links). Bounded; the oldest entries go first.
   */
  private readonly traces = new Map<string, SpanContext>();

  private rememberTraces(batch: RoutedBatch): void {
    const handling = activeSpan()?.spanContext();
    if (!handling) return;
    for (const route of batch.routes) {
      this.traces.delete(route.alert.fingerprint);
      if (this.traces.size >= MAX_TRACED_FINGERPRINTS) this.traces.delete(this.traces.keys().next().value as string);
      this.traces.set(route.alert.fingerprint, handling);
    }
  }

  /** Stores a routed message's alerts in their groups; resolves once Redis has them (then the message may be acked). */
  add = async (batch: RoutedBatch): Promise<void> => {
    this.rememberTraces(batch);
    const settings = this.deps.settings();
    const now = this.now();
    const perReceiver = new Map<number, Alert[]>();
    for (const route of batch.routes)
      for (const r of route.receivers) {
        const list = perReceiver.get(r);
        if (list) list.push(route.alert);
        else perReceiver.set(r, [route.alert]);
      }
    const additions: GroupAddition[] = [];
    for (const [r, alerts] of perReceiver) {
      const receiver = batch.receivers[r];
      if (!receiver) throw new PermanentError(`routed batch references receiver #${r} that it does not define`, { code: 'INVALID_ROUTED_BATCH' });
      for (const g of groupAlerts(alerts, settings.groupLabels)) {
        const groupKey = `${receiverKey(receiver)}:${labelSetString(g.labels)}`;
        const meta: GroupMeta = {
          receiver,
          groupKey,
          groupLabels: g.labels,
          ...(batch.externalURL ? { externalURL: batch.externalURL } : {}),
          source: batch.source,
          createdAt: now,
          partition: partitionOf(receiver, this.opts.partitions),
        };
        const earliest = Math.min(...g.alerts.map((a) => Date.parse(a.startsAt)).filter((t) => !Number.isNaN(t)), now);
        additions.push({
          gid: groupId(receiver, groupKey),
          meta,
          alerts: g.alerts.map((a) => received(a, now, settings.resolveTimeoutMs)),
          // Alertmanager's shortcut: a group whose first alert is already older than groupWait flushes at once.
          firstFlushAt: earliest + settings.groupWaitMs <= now ? now : now + settings.groupWaitMs,
        });
      }
    }
    try {
      const { created } = await this.deps.state.add(additions);
      this.created.inc(created);
      this.stored.inc(additions.reduce((n, a) => n + a.alerts.length, 0));
    } catch (err) {
      throw new WaitError(`stateful group store unavailable: ${(err as Error).message}`, { code: 'REDIS_UNAVAILABLE', cause: err });
    }
  };

  start(): void {
    this.timer = setInterval(() => {
      if (!this.ticking && !this.stopped)
        this.ticking = this.tick()
          .catch((err: unknown) => {
            this.deps.logger.warn({ err: (err as Error).message }, 'stateful flush round failed; retried next tick');
            return 0;
          })
          .finally(() => (this.ticking = undefined));
    }, this.opts.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
  }

  /** Flushes every due group of the partitions this replica owns. Returns how many were flushed. */
  async tick(): Promise<number> {
    const now = this.now();
    let n = 0;
    const limit = this.opts.flushConcurrency ?? 16;
    const due = await this.deps.state.dueIn(this.deps.leases.mine(), now, 500);
    for (let i = 0; i < due.length; i += limit) {
      const slice = due.slice(i, i + limit);
      await Promise.all(slice.map((d) => this.flush(d.partition, d.gid, d.dueAt, now)));
      n += slice.length;
    }
    return n;
  }

  /** One flush of one group at `now` (alertmanager.md §5.1 steps 3–5, §5.3). */
  async flush(partition: number, gid: string, dueAt: number, now: number): Promise<void> {
    if (!this.deps.leases.owns(partition)) return;
    const settings = this.deps.settings();
    const group = await this.deps.state.load(gid);
    if (!group) {
      await this.deps.state.unschedule(partition, gid).catch(() => undefined);
      return;
    }
    try {
      const result = await this.notifyIfNeeded(group, settings, now);
      this.flushes.inc({ result });
      const resolved = new Map<string, number>();
      for (const [fp, g] of group.alerts) if (isResolvedAt(g.alert, now)) resolved.set(fp, g.updatedAt);
      // Fixed cadence from the first flush; a tick missed by more than an interval fires once at once.
      const next = dueAt + settings.groupIntervalMs > now ? dueAt + settings.groupIntervalMs : now;
      await this.deps.state.settle(group, resolved, next);
    } catch (err) {
      this.flushes.inc({ result: 'failed' });
      this.deps.logger.warn({ err: (err as Error).message, group: group.meta.groupKey }, 'stateful flush failed; retried soon, nothing removed');
      await this.deps.state.reschedule(partition, gid, now + Math.min(settings.groupIntervalMs, 5000)).catch(() => undefined);
    }
  }

  private async notifyIfNeeded(group: StoredGroup, settings: StatefulSettings, now: number): Promise<'sent' | 'unchanged' | 'muted'> {
    const snapshot = [...group.alerts.values()];
    const muted = await this.deps.mutedAt(group.meta, snapshot.map((g) => g.alert), new Date(now));
    const live = snapshot.filter((g) => !muted.has(g.alert.fingerprint));
    if (live.length === 0) return 'muted';
    const firing = live.filter((g) => !isResolvedAt(g.alert, now));
    const resolved = live.filter((g) => isResolvedAt(g.alert, now));
    const F = firing.map((g) => g.alert.fingerprint).sort();
    const R = resolved.map((g) => g.alert.fingerprint).sort();
    const entry = await this.deps.state.nflog(group.gid);
    const decision = nflogDecision(entry, F, R, { nowMs: now, repeatIntervalMs: settings.repeatIntervalMs, sendResolved: settings.sendResolved });
    if (!decision.send) return 'unchanged';
    const alerts: Alert[] = [
      ...firing.map((g) => this.asFiring(g)),
      ...(settings.sendResolved ? resolved.map((g) => ({ ...g.alert, status: 'resolved' as const })) : []),
    ];
    if (alerts.length > 0) {
      // Stable for a retried flush of the same state: the same id, so JetStream and the sender drop a repeat.
      const base = createHash('sha256')
        .update(`${group.gid}\u0000${group.meta.createdAt}\u0000${entry?.timestamp ?? 0}\u0000${F.join(',')}\u0000${R.join(',')}`)
        .digest('hex')
        .slice(0, 28);
      await this.publish(group.meta, alerts, base, settings);
    }
    await this.deps.state.writeNflog(group.gid, { timestamp: now, firing: F, resolved: R }, nflogExpiryMs(settings.repeatIntervalMs));
    this.deps.logger.debug({ group: group.meta.groupKey, reason: decision.reason, firing: F.length, resolved: R.length }, 'stateful group notified');
    return 'sent';
  }

  /** A firing alert as notified: `endsAt` cleared, as Alertmanager does, so it cannot flip to resolved downstream. */
  private asFiring(g: GroupedAlert): Alert {
    return { ...g.alert, status: 'firing', endsAt: ZERO_TIME };
  }

  private async publish(meta: GroupMeta, alerts: Alert[], base: string, settings: StatefulSettings): Promise<void> {
    const notification = (part: Alert[], index: number, count: number): Notification => ({
      version: PAYLOAD_VERSION,
      id: `${base}-${index}`,
      createdAt: new Date(this.now()).toISOString(),
      receiver: meta.receiver,
      groupKey: meta.groupKey,
      groupLabels: meta.groupLabels,
      alerts: part,
      part: { index, count },
      ...(meta.externalURL ? { externalURL: meta.externalURL } : {}),
      source: meta.source,
    });
    const limit = payloadLimit(this.deps.publisher);
    const size = Math.max(1, settings.batchMaxSize);
    const parts: Alert[][] = [];
    for (let i = 0; i < alerts.length; i += size)
      for (const p of fitParts(alerts.slice(i, i + size), (a) => notification([...a], 99_999, 99_999), limit)) parts.push([...p.items]);
    await Promise.all(
      parts.map(async (part, index) => {
        const n = notification(part, index, parts.length);
        const traces = new Map<string, SpanContext>();
        for (const a of part) {
          const sc = this.traces.get(a.fingerprint);
          if (sc) traces.set(a.id, sc);
        }
        await notificationSpan({ traces, receiver: meta.receiver, groupKey: meta.groupKey }, n, n.alerts.map((a) => a.id), (traceparent) =>
          this.deps.publisher.publish(subjects.notify(meta.receiver.channel), n, { msgId: n.id, ...(traceparent ? { traceparent } : {}) }),
        );
        this.notifications.inc({ channel: meta.receiver.channel });
      }),
    );
  }
}
