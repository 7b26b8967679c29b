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

/** KEYS: units, history; ARGV: ttl seconds, n, n unit keys, n records (JSON). */
const MARK_UNITS = `
local n = tonumber(ARGV[2])
for i = 1, n do
  redis.call('SADD', KEYS[1], ARGV[2 + i])
  redis.call('HSET', KEYS[2], ARGV[2 + i], ARGV[2 + n + i])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return n
`;

/** KEYS: done, units, history; ARGV: ttl seconds. */
const MARK_DONE = `
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3])
return 1
`;

/** The scripts as commands (EVALSHA: each script body crosses the connection once, not per call). */
interface Scripts {
  nmDeliveredClaim(...keysAndArgs: Array<string | number>): Promise<unknown>;
  nmDeliveredRenew(...keysAndArgs: Array<string | number>): Promise<unknown>;
  nmDeliveredRelease(...keysAndArgs: Array<string | number>): Promise<unknown>;
  nmDeliveredMarkUnits(...keysAndArgs: Array<string | number>): Promise<unknown>;
  nmDeliveredMarkDone(...keysAndArgs: Array<string | number>): Promise<unknown>;
}

export class DeliveredStore {
  private readonly scripts: Scripts;

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds = DEFAULT_DELIVERED_TTL_SECONDS,
    private readonly leaseMs = DEFAULT_LEASE_MS,
  ) {
    redis.defineCommand('nmDeliveredClaim', { numberOfKeys: 3, lua: CLAIM });
    redis.defineCommand('nmDeliveredRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('nmDeliveredRelease', { numberOfKeys: 1, lua: RELEASE });
    // Atomic like the MULTI blocks they replace: a script runs alone.
    redis.defineCommand('nmDeliveredMarkUnits', { numberOfKeys: 2, lua: MARK_UNITS });
    redis.defineCommand('nmDeliveredMarkDone', { numberOfKeys: 3, lua: MARK_DONE });
    this.scripts = redis as unknown as Scripts;
  }

  async claim(id: string, token: string): Promise<Claim> {
    const reply = (await this.scripts.nmDeliveredClaim(deliveredKeys.done(id), deliveredKeys.units(id), deliveredKeys.history(id), token, this.leaseMs)) as [
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
    return Number(await this.scripts.nmDeliveredRenew(deliveredKeys.done(id), token, this.leaseMs)) === 1;
  }

  /** Gives the notification back (after a failure) so the next attempt can claim it at once. */
  async release(id: string, token: string): Promise<void> {
    await this.scripts.nmDeliveredRelease(deliveredKeys.done(id), token);
  }

  /** Remembers delivered units and their history records (until published) in one transaction. */
  async markUnits(id: string, units: readonly PendingRecord[]): Promise<void> {
    if (units.length === 0) return;
    await this.scripts.nmDeliveredMarkUnits(
      deliveredKeys.units(id),
      deliveredKeys.history(id),
      this.ttlSeconds,
      units.length,
      ...units.map((u) => u.key),
      ...units.map((u) => JSON.stringify(u.record)),
    );
  }

  /** Forgets history records JetStream acknowledged. */
  async historyPublished(id: string, unitKeys: readonly string[]): Promise<void> {
    if (unitKeys.length > 0) await this.redis.hdel(deliveredKeys.history(id), ...unitKeys);
  }

  /** Marks the notification delivered for `ttl` and drops its per-unit state. */
  async markDone(id: string): Promise<void> {
    await this.scripts.nmDeliveredMarkDone(deliveredKeys.done(id), deliveredKeys.units(id), deliveredKeys.history(id), this.ttlSeconds);
  }
}
