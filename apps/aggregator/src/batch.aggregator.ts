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
import { PermanentError, type HandlerContext, type Publisher } from '@nm/bus';
import { groupAlerts, labelSetString } from '@nm/model';
import type { Logger, Metrics } from '@nm/telemetry';

export interface BatchSettings {
  groupLabels: readonly string[];
  batchMaxSize: number;
  batchMaxWaitMs: number;
}

interface OpenGroup {
  id: string;
  receiver: ReceiverRef;
  groupKey: string;
  labels: Record<string, string>;
  alerts: Alert[];
  alertIds: Set<string>;
  externalURL: string | undefined;
  source: AlertSource;
  timer: NodeJS.Timeout | undefined;
  waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }>;
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

  constructor(
    private readonly deps: {
      publisher: Publisher;
      settings: () => BatchSettings;
      logger: Logger;
      metrics: Metrics;
    },
  ) {
    this.flushed = deps.metrics.counter('nm_aggregator_notifications_total', 'Notifications emitted, by channel', ['channel'] as const);
    this.open = deps.metrics.gauge('nm_aggregator_open_groups', 'Groups waiting to be flushed');
  }

  /** Adds a routed message's alerts; resolves when all the groups they joined were published. */
  handle = async (batch: RoutedBatch, ctx: HandlerContext): Promise<void> => {
    const settings = this.deps.settings();
    const perReceiver = new Map<number, Alert[]>();
    for (const route of batch.routes)
      for (const r of route.receivers) {
        const list = perReceiver.get(r);
        if (list) list.push(route.alert);
        else perReceiver.set(r, [route.alert]);
      }
    const waits: Array<Promise<void>> = [];
    for (const [r, alerts] of perReceiver) {
      const receiver = batch.receivers[r];
      if (!receiver) throw new PermanentError(`routed batch references receiver #${r} that it does not define`, { code: 'INVALID_ROUTED_BATCH' });
      for (const g of groupAlerts(alerts, settings.groupLabels)) {
        const groupKey = `${receiverKey(receiver)}:${labelSetString(g.labels)}`;
        const id = `${receiver.tenant}\u0000${groupKey}`;
        let group = this.groups.get(id);
        if (!group) {
          group = {
            id,
            receiver,
            groupKey,
            labels: g.labels,
            alerts: [],
            alertIds: new Set(),
            externalURL: batch.externalURL,
            source: batch.source,
            timer: undefined,
            waiters: [],
          };
          this.groups.set(id, group);
          const grp = group;
          group.timer = setTimeout(() => void this.flush(grp), settings.batchMaxWaitMs);
          this.open.set(this.groups.size);
        }
        for (const a of g.alerts) {
          if (group.alertIds.has(a.id)) continue; // a redelivered message re-adds nothing
          group.alertIds.add(a.id);
          group.alerts.push(a);
        }
        const grp = group;
        waits.push(new Promise<void>((resolve, reject) => grp.waiters.push({ resolve, reject })));
        if (group.alerts.length >= settings.batchMaxSize) {
          clearTimeout(group.timer);
          void this.flush(group);
        }
      }
    }
    ctx.logger.debug({ groups: waits.length }, 'alerts added to groups');
    await Promise.all(waits);
  };

  private async flush(group: OpenGroup): Promise<void> {
    if (this.groups.get(group.id) !== group) return;
    this.groups.delete(group.id);
    this.open.set(this.groups.size);
    const { batchMaxSize } = this.deps.settings();
    const size = Math.max(1, batchMaxSize);
    const parts: Alert[][] = [];
    for (let i = 0; i < group.alerts.length; i += size) parts.push(group.alerts.slice(i, i + size));
    try {
      await Promise.all(
        parts.map((alerts, index) => {
          const n: Notification = {
            version: PAYLOAD_VERSION,
            id: notificationId(group.receiver, group.groupKey, alerts.map((a) => a.id), index),
            createdAt: new Date().toISOString(),
            receiver: group.receiver,
            groupKey: group.groupKey,
            groupLabels: group.labels,
            alerts,
            part: { index, count: parts.length },
            ...(group.externalURL ? { externalURL: group.externalURL } : {}),
            source: group.source,
          };
          return this.deps.publisher
            .publish(subjects.notify(group.receiver.channel), n, { msgId: n.id })
            .then(() => this.flushed.inc({ channel: group.receiver.channel }));
        }),
      );
      group.waiters.forEach((w) => w.resolve());
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message, group: group.groupKey }, 'flush failed; contributing messages will be redelivered');
      group.waiters.forEach((w) => w.reject(err));
    }
  }

  /** Flushes everything now (shutdown). */
  async flushAll(): Promise<void> {
    const all = [...this.groups.values()];
    for (const g of all) clearTimeout(g.timer);
    await Promise.all(all.map((g) => this.flush(g)));
  }

  openGroups(): number {
    return this.groups.size;
  }
}
