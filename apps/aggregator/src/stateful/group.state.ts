import { createHash } from 'node:crypto';
import type { Alert, AlertSource, ReceiverRef } from '@nm/contracts';
import { continues, mergeAlert, type GroupedAlert, type NflogEntry } from '@nm/model';
import type { Runtime } from '@nm/service-kit';

type Redis = Runtime['redis'];

/**
 * Durable state of stateful aggregation groups, in Redis, shared by every aggregator replica:
 *
 * - `nm:agg:g:<gid>` hash: `meta` → the group's identity (JSON), `a:<fingerprint>` → a GroupedAlert.
 * - `nm:agg:due:<partition>` sorted set: gid → the time (ms) of its next flush.
 * - `nm:agg:nflog:<gid>` string: the notification-log entry of the group (JSON, expires).
 *
 * Any replica adds alerts (a routed message is acked only after its alerts are stored); only the
 * owner of a group's partition flushes it. Read-modify-write steps run as WATCH/MULTI transactions
 * on a connection of their own, one at a time per process, so two replicas never lose an update.
 */
export interface GroupMeta {
  receiver: ReceiverRef;
  groupKey: string;
  groupLabels: Record<string, string>;
  externalURL?: string;
  source: AlertSource;
  createdAt: number;
  partition: number;
}

export interface StoredGroup {
  gid: string;
  meta: GroupMeta;
  /** By fingerprint. */
  alerts: Map<string, GroupedAlert>;
}

export const groupKeys = {
  group: (gid: string): string => `nm:agg:g:${gid}`,
  due: (partition: number): string => `nm:agg:due:${partition}`,
  nflog: (gid: string): string => `nm:agg:nflog:${gid}`,
};

/** The stable id of a group: tenant, receiver and group labels. */
export function groupId(receiver: ReceiverRef, groupKey: string): string {
  return createHash('sha256').update(`${receiver.tenant}\u0000${groupKey}`).digest('hex').slice(0, 32);
}

/**
 * The partition of a receiver's groups: FNV-1a of tenant and receiver, then a final avalanche
 * (murmur3's fmix32), so receivers with similar names spread over all partitions.
 */
export function partitionOf(receiver: ReceiverRef, partitions: number): number {
  let h = 0x811c9dc5;
  const s = `${receiver.tenant}\u0000${receiver.channel}/${receiver.name}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) % partitions;
}

/** Alerts for one group, as the aggregator adds them. */
export interface GroupAddition {
  gid: string;
  meta: GroupMeta;
  alerts: GroupedAlert[];
  /** When a new group is created: its first flush (ms). */
  firstFlushAt: number;
}

class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const MAX_TX_RETRIES = 50;

export class GroupState {
  private readonly tx: Redis;
  private readonly mutex = new Mutex();

  constructor(private readonly redis: Redis) {
    this.tx = redis.duplicate();
    this.tx.on('error', () => undefined);
  }

  close(): void {
    this.tx.disconnect();
  }

  /** Runs a WATCH/MULTI transaction, retrying while another writer changed a watched key. */
  private transaction(keys: string[], body: (tx: Redis) => Promise<((m: ReturnType<Redis['multi']>) => void) | undefined>): Promise<void> {
    return this.mutex.run(async () => {
      for (let i = 0; i < MAX_TX_RETRIES; i++) {
        await this.tx.watch(...keys);
        let write: ((m: ReturnType<Redis['multi']>) => void) | undefined;
        try {
          write = await body(this.tx);
        } catch (err) {
          await this.tx.unwatch();
          throw err;
        }
        if (!write) {
          await this.tx.unwatch();
          return;
        }
        const m = this.tx.multi();
        write(m);
        const res = await m.exec();
        if (res !== null) {
          const failed = res.find(([err]) => err);
          if (failed) throw failed[0] as Error;
          return;
        }
      }
      throw new Error(`redis transaction on ${keys.length} key(s) kept conflicting`);
    });
  }

  /**
   * Stores alerts into their groups (merging with what is stored, per Alertmanager's rules) and
   * creates missing groups with their first flush time. Resolves once Redis has them.
   */
  async add(additions: readonly GroupAddition[]): Promise<{ created: number }> {
    if (additions.length === 0) return { created: 0 };
    let created = 0;
    const keys = additions.map((a) => groupKeys.group(a.gid));
    await this.transaction(keys, async (tx) => {
      const p = tx.pipeline();
      for (const a of additions) p.hmget(groupKeys.group(a.gid), 'meta', ...a.alerts.map((x) => `a:${x.alert.fingerprint}`));
      const rows = ((await p.exec()) ?? []).map(([err, v]) => {
        if (err) throw err;
        return v as Array<string | null>;
      });
      created = 0;
      return (m) => {
        additions.forEach((a, i) => {
          const row = rows[i]!;
          const key = groupKeys.group(a.gid);
          const isNew = row[0] === null;
          const fields: string[] = [];
          if (isNew) {
            created += 1;
            fields.push('meta', JSON.stringify(a.meta));
          }
          const merged = new Map<string, GroupedAlert>();
          a.alerts.forEach((incoming, k) => {
            const fp = incoming.alert.fingerprint;
            const prior = merged.get(fp) ?? (row[k + 1] ? (JSON.parse(row[k + 1]!) as GroupedAlert) : undefined);
            merged.set(fp, prior && continues(prior, incoming) ? mergeAlert(prior, incoming) : incoming);
          });
          for (const [fp, g] of merged) fields.push(`a:${fp}`, JSON.stringify(g));
          m.hset(key, ...fields);
          if (isNew) m.zadd(groupKeys.due(a.meta.partition), 'NX', a.firstFlushAt, a.gid);
        });
      };
    });
    return { created };
  }

  /** Groups due at `nowMs` in each of `partitions` (at most `limit` each), in one round trip. */
  async dueIn(partitions: readonly number[], nowMs: number, limit: number): Promise<Array<{ partition: number; gid: string; dueAt: number }>> {
    if (partitions.length === 0) return [];
    const p = this.redis.pipeline();
    for (const part of partitions) p.zrangebyscore(groupKeys.due(part), '-inf', nowMs, 'WITHSCORES', 'LIMIT', 0, limit);
    const res = (await p.exec()) ?? [];
    const out: Array<{ partition: number; gid: string; dueAt: number }> = [];
    res.forEach(([err, v], k) => {
      if (err) throw err;
      const r = v as string[];
      for (let i = 0; i < r.length; i += 2) out.push({ partition: partitions[k]!, gid: r[i]!, dueAt: Number(r[i + 1]) });
    });
    return out;
  }

  /** Groups of `partition` due at `nowMs` (at most `limit`), with their due times. */
  async due(partition: number, nowMs: number, limit: number): Promise<Array<{ gid: string; dueAt: number }>> {
    const r = await this.redis.zrangebyscore(groupKeys.due(partition), '-inf', nowMs, 'WITHSCORES', 'LIMIT', 0, limit);
    const out: Array<{ gid: string; dueAt: number }> = [];
    for (let i = 0; i < r.length; i += 2) out.push({ gid: r[i]!, dueAt: Number(r[i + 1]) });
    return out;
  }

  async load(gid: string): Promise<StoredGroup | undefined> {
    const h = await this.redis.hgetall(groupKeys.group(gid));
    if (!h.meta) return undefined;
    const alerts = new Map<string, GroupedAlert>();
    for (const [k, v] of Object.entries(h)) if (k.startsWith('a:')) alerts.set(k.slice(2), JSON.parse(v) as GroupedAlert);
    return { gid, meta: JSON.parse(h.meta) as GroupMeta, alerts };
  }

  async nflog(gid: string): Promise<NflogEntry | undefined> {
    const v = await this.redis.get(groupKeys.nflog(gid));
    return v ? (JSON.parse(v) as NflogEntry) : undefined;
  }

  async writeNflog(gid: string, entry: NflogEntry, expiryMs: number): Promise<void> {
    await this.redis.set(groupKeys.nflog(gid), JSON.stringify(entry), 'PX', Math.max(1000, expiryMs));
  }

  /** Drops a schedule entry whose group no longer exists. */
  async unschedule(partition: number, gid: string): Promise<void> {
    await this.redis.zrem(groupKeys.due(partition), gid);
  }

  /** Moves a group's next flush (a failed flush retried soon, or the next interval tick). */
  async reschedule(partition: number, gid: string, atMs: number): Promise<void> {
    await this.redis.zadd(groupKeys.due(partition), 'XX', atMs, gid);
  }

  /**
   * After a successful flush: removes the resolved alerts of the snapshot that were not updated
   * since, then destroys the group if it is empty (its schedule and log entry too, as Alertmanager
   * drops a destroyed group's state with it... the log entry is kept: a new group of the same key
   * dedups against it), else schedules its next tick. Returns whether the group was destroyed.
   */
  async settle(group: StoredGroup, resolved: ReadonlyMap<string, number>, nextAt: number): Promise<boolean> {
    const key = groupKeys.group(group.gid);
    let destroyed = false;
    await this.transaction([key], async (tx) => {
      const h = await tx.hgetall(key);
      if (!h.meta) return undefined; // gone already
      const remove: string[] = [];
      let left = 0;
      for (const [k, v] of Object.entries(h)) {
        if (!k.startsWith('a:')) continue;
        const updatedAt = resolved.get(k.slice(2));
        if (updatedAt !== undefined && (JSON.parse(v) as GroupedAlert).updatedAt === updatedAt) remove.push(k);
        else left += 1;
      }
      destroyed = left === 0;
      return (m) => {
        if (destroyed) {
          m.del(key);
          m.zrem(groupKeys.due(group.meta.partition), group.gid);
        } else {
          if (remove.length > 0) m.hdel(key, ...remove);
          m.zadd(groupKeys.due(group.meta.partition), 'XX', nextAt, group.gid);
        }
      };
    });
    return destroyed;
  }
}

export type { Alert };
