/**
 * What replicas of one channel's sender share about each notification, in Redis:
 *
 * - `nm:delivered:<id>`: `1` once the notification is fully delivered (kept `ttl` seconds, so a
 *   redelivered or re-published copy is acked without sending), or `pending:<token>` while one
 *   replica is delivering it (a short lease, renewed while the delivery runs, so two copies
 *   handled at once never both send);
 * - `nm:delivered:<id>:units`: the unit keys (destination × part) already delivered, so a
 *   partially delivered notification only sends the missing units on its next attempt;
 * - `nm:delivered:<id>:history`: history records of delivered units not yet acknowledged by
 *   JetStream, published again by the next attempt.
 */
import type { HistoryRecord } from '@nm/contracts';
import type { Redis } from 'ioredis';

export const DEFAULT_DELIVERED_TTL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_LEASE_MS = 10_000;

export const deliveredKeys = {
  done: (id: string): string => `nm:delivered:${id}`,
  units: (id: string): string => `nm:delivered:${id}:units`,
  history: (id: string): string => `nm:delivered:${id}:history`,
} as const;

/** A delivered unit's history record JetStream has not acknowledged yet. */
export interface PendingRecord {
  key: string;
  record: HistoryRecord;
}

/**
 * `claimed`: this caller delivers it now; `done`: already delivered; `busy`: another caller holds
 * the lease (or a crashed holder's lease has not expired yet).
 */
export type Claim =
  | { state: 'claimed'; token: string; deliveredKeys: Set<string>; pendingHistory: PendingRecord[] }
  | { state: 'done' }
  | { state: 'busy'; retryInMs: number };

const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v == '1' then return {'done'} end
if v then return {'busy', tostring(redis.call('PTTL', KEYS[1]))} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {'claimed', redis.call('SMEMBERS', KEYS[2]), redis.call('HGETALL', KEYS[3])}
`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class DeliveredStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds = DEFAULT_DELIVERED_TTL_SECONDS,
    private readonly leaseMs = DEFAULT_LEASE_MS,
  ) {}

  async claim(id: string, token: string): Promise<Claim> {
    const reply = (await this.redis.eval(CLAIM, 3, deliveredKeys.done(id), deliveredKeys.units(id), deliveredKeys.history(id), token, this.leaseMs)) as [
      string,
      ...unknown[],
    ];
    if (reply[0] === 'done') return { state: 'done' };
    if (reply[0] === 'busy') {
      const pttl = Number(reply[1]);
      return { state: 'busy', retryInMs: pttl > 0 ? pttl : this.leaseMs };
    }
    const units = (reply[1] ?? []) as string[];
    const flat = (reply[2] ?? []) as string[];
    const pending: PendingRecord[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      try {
        pending.push({ key: flat[i]!, record: JSON.parse(flat[i + 1]!) as HistoryRecord });
      } catch {
        /* an unreadable record is dropped rather than blocking the notification */
      }
    }
    return { state: 'claimed', token, deliveredKeys: new Set(units), pendingHistory: pending };
  }

  /** Extends the lease while the delivery runs; false when it was lost. */
  async renew(id: string, token: string): Promise<boolean> {
    return Number(await this.redis.eval(RENEW, 1, deliveredKeys.done(id), token, this.leaseMs)) === 1;
  }

  /** Gives the notification back (after a failure) so the next attempt can claim it at once. */
  async release(id: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, deliveredKeys.done(id), token);
  }

  /** Remembers delivered units and their history records (until published) in one transaction. */
  async markUnits(id: string, units: readonly PendingRecord[]): Promise<void> {
    if (units.length === 0) return;
    const tx = this.redis.multi();
    tx.sadd(deliveredKeys.units(id), ...units.map((u) => u.key));
    tx.hset(deliveredKeys.history(id), Object.fromEntries(units.map((u) => [u.key, JSON.stringify(u.record)])));
    tx.expire(deliveredKeys.units(id), this.ttlSeconds);
    tx.expire(deliveredKeys.history(id), this.ttlSeconds);
    await execOrThrow(tx);
  }

  /** Forgets history records JetStream acknowledged. */
  async historyPublished(id: string, unitKeys: readonly string[]): Promise<void> {
    if (unitKeys.length > 0) await this.redis.hdel(deliveredKeys.history(id), ...unitKeys);
  }

  /** Marks the notification delivered for `ttl` and drops its per-unit state. */
  async markDone(id: string): Promise<void> {
    const tx = this.redis.multi();
    tx.set(deliveredKeys.done(id), '1', 'EX', this.ttlSeconds);
    tx.del(deliveredKeys.units(id), deliveredKeys.history(id));
    await execOrThrow(tx);
  }
}

async function execOrThrow(tx: ReturnType<Redis['multi']>): Promise<void> {
  const res = await tx.exec();
  if (!res) throw new Error('redis transaction aborted');
  const failed = res.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}
