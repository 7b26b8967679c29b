import { createHash } from 'node:crypto';
import type { Runtime } from '@nm/service-kit';

/**
 * Deduplication of client retries at ingest. A record maps a dedup key (the body's hash, or the
 * client's `Idempotency-Key`) to the receipt that first claimed it:
 *
 *   `nm:ingest:dedup:<sha256(body)>`   → `<receiptId>|<state>|<sha256(body)>`, TTL `NM_INGEST_DEDUP_WINDOW`
 *   `nm:ingest:idem:<sha256(key)>`     → the same, TTL `NM_INGEST_IDEMPOTENCY_TTL`
 *
 * `state` is `pending` from the claim (before publishing) until every chunk was acknowledged by
 * JetStream, then `done`. A request that finds a `pending` record (a concurrent first attempt, or
 * one whose publish failed or crashed) publishes again under the same receipt id, so its chunks
 * have the same message ids and JetStream drops those already stored.
 */
export type ReceiptState = 'pending' | 'done';

export interface ReceiptRecord {
  receiptId: string;
  state: ReceiptState;
  /** sha256 of the request body (hex). */
  bodyHash: string;
}

export interface ReceiptStore {
  /**
   * Claims `key` for `receiptId` (state `pending`) for `ttlMs`, unless a record holds it already:
   * resolves `undefined` when this call claimed it, else the existing record.
   * @throws ReceiptStoreUnavailableError
   */
  claim(key: string, receiptId: string, bodyHash: string, ttlMs: number): Promise<ReceiptRecord | undefined>;
  /** Marks the record of `receiptId` under `key` as `done`, keeping its expiry. @throws ReceiptStoreUnavailableError */
  markDone(key: string, receiptId: string, bodyHash: string): Promise<void>;
  /**
   * Deletes the record under `key` if it is still `receiptId`'s `pending` one (a claim for a
   * request that stored nothing). @throws ReceiptStoreUnavailableError
   */
  release(key: string, receiptId: string, bodyHash: string): Promise<void>;
}

/** Redis is not reachable: ingest accepts the request without deduplication. */
export class ReceiptStoreUnavailableError extends Error {
  override readonly name = 'ReceiptStoreUnavailableError';
  readonly code = 'DEDUP_UNAVAILABLE';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
  }
}

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** Redis key of the body-hash record. */
export const bodyDedupKey = (bodyHash: string): string => `nm:ingest:dedup:${bodyHash}`;
/** Redis key of an `Idempotency-Key` record (the key is hashed: any length, any bytes). */
export const idempotencyKey = (key: string): string => `nm:ingest:idem:${sha256(key)}`;

const encode = (r: ReceiptRecord): string => `${r.receiptId}|${r.state}|${r.bodyHash}`;

export function decodeReceipt(v: string): ReceiptRecord | undefined {
  const [receiptId, state, bodyHash] = v.split('|');
  if (!receiptId || (state !== 'pending' && state !== 'done')) return undefined;
  return { receiptId, state, bodyHash: bodyHash ?? '' };
}

/** GET, or SET with PX when absent: returns the existing value or nil. */
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

/** Replaces the pending value by the done value, keeping the remaining TTL (Redis < 6 has no KEEPTTL). */
const MARK_DONE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
return 1`;

/** Deletes the record if it still holds the given (pending) value. */
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`;

type RedisClient = Pick<Runtime['redis'], 'eval' | 'status'>;

/**
 * The receipt store on Redis. A command that does not answer within `timeoutMs` (or any command
 * while the connection is not ready) fails with ReceiptStoreUnavailableError instead of waiting in
 * the client's offline queue: dedup must never hold up or fail an ingest request.
 */
export function redisReceiptStore(redis: RedisClient, opts: { timeoutMs?: number } = {}): ReceiptStore {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const run = async (script: string, key: string, args: Array<string | number>): Promise<unknown> => {
    if (redis.status !== 'ready') throw new ReceiptStoreUnavailableError(`redis is ${redis.status}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ReceiptStoreUnavailableError(`redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([redis.eval(script, 1, key, ...args), timeout]);
    } catch (err) {
      if (err instanceof ReceiptStoreUnavailableError) throw err;
      throw new ReceiptStoreUnavailableError(`redis: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    async claim(key, receiptId, bodyHash, ttlMs) {
      const existing = await run(CLAIM, key, [encode({ receiptId, state: 'pending', bodyHash }), Math.max(1, Math.ceil(ttlMs))]);
      if (typeof existing !== 'string') return undefined;
      const rec = decodeReceipt(existing);
      if (!rec) throw new ReceiptStoreUnavailableError(`unreadable record under ${key}`);
      return rec;
    },
    async markDone(key, receiptId, bodyHash) {
      await run(MARK_DONE, key, [encode({ receiptId, state: 'pending', bodyHash }), encode({ receiptId, state: 'done', bodyHash })]);
    },
    async release(key, receiptId, bodyHash) {
      await run(RELEASE, key, [encode({ receiptId, state: 'pending', bodyHash })]);
    },
  };
}
