/**
 * Sliding-window rate limiters (for example DingTalk's 20 messages per minute per robot). A caller
 * over the limit waits for a free slot: messages are queued, never dropped. When the wait would
 * exceed `maxWaitMs`, `acquire` throws a `WaitError` (a slot is not the message's fault: no
 * attempt is spent) whose `retryAfterMs` tells the bus when to redeliver.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { WaitError } from '@nm/errors';
import { systemClock, type Clock } from './clock.js';

export interface AcquireOptions {
  /** Longest wait for a slot (default 10 s). */
  maxWaitMs?: number;
  signal?: AbortSignal;
}

export interface RateLimiter {
  /** Resolves once a slot in the window of `key` is taken. */
  acquire(key: string, limit: number, windowMs: number, opts?: AcquireOptions): Promise<void>;
}

/** A limit as configured on a sender: `limit` sends per `windowMs`, waiting at most `maxWaitMs`. */
export interface RateLimit {
  limit: number;
  windowMs: number;
  maxWaitMs?: number;
}

const DEFAULT_MAX_WAIT_MS = 10_000;

/** Takes a slot of `key` under `limit`; no limit (`false` or undefined) takes none. */
export function throttle(limiter: RateLimiter, key: string, limit: RateLimit | false | undefined, signal?: AbortSignal): Promise<void> {
  if (!limit) return Promise.resolve();
  return limiter.acquire(key, limit.limit, limit.windowMs, {
    ...(limit.maxWaitMs !== undefined ? { maxWaitMs: limit.maxWaitMs } : {}),
    ...(signal ? { signal } : {}),
  });
}

function overLimit(key: string, waitMs: number): WaitError {
  // the kind only (`wechat-bot`): the rest of a key is derived from a webhook URL or an app key
  return new WaitError(`rate limit of ${key.split(':')[0] ?? key} is exhausted; next slot in ${waitMs} ms`, {
    code: 'ratelimit:wait-exceeded',
    retryAfterMs: waitMs,
  });
}

/** In-process limiter; waiters of one key are served in arrival order. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, number[]>();
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly clock: Clock = systemClock) {}

  acquire(key: string, limit: number, windowMs: number, opts: AcquireOptions = {}): Promise<void> {
    const deadline = this.clock.now() + (opts.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
    const previous = this.tails.get(key) ?? Promise.resolve();
    const mine = previous.then(() => this.take(key, limit, windowMs, deadline, opts.signal));
    const tail = mine.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return mine;
  }

  private async take(key: string, limit: number, windowMs: number, deadline: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const stamps = (this.windows.get(key) ?? []).filter((t) => t > now - windowMs);
      this.windows.set(key, stamps);
      if (stamps.length < limit) {
        stamps.push(now);
        return;
      }
      const wait = Math.max(1, (stamps[0] ?? now) + windowMs - now);
      if (now + wait > deadline) throw overLimit(key, wait);
      await this.clock.sleep(wait, signal);
    }
  }
}

/**
 * KEYS[1] sorted set of send times; ARGV now, window, limit, member. Returns 0 when a slot was
 * taken, otherwise the milliseconds until the oldest send leaves the window.
 */
const SLIDING_WINDOW = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`;

/** Limiter shared by every replica through one Redis sorted set per key. */
export class RedisRateLimiter implements RateLimiter {
  private readonly prefix: string;
  private readonly clock: Clock;

  private readonly keyId: ((material: string) => string) | undefined;

  /**
   * `keyId` (the SecretBox's HMAC) names the Redis key of a limiter key, whose text can be derived
   * from a webhook URL or an app key: `<prefix><kind>:<keyId(key)>`, where kind is the part before
   * the first `:` (`wechat-bot`). Without it (unit tests), the key is used as it is.
   */
  constructor(
    private readonly redis: Redis,
    opts: { prefix?: string; clock?: Clock; keyId?: (material: string) => string } = {},
  ) {
    this.prefix = opts.prefix ?? 'nm:ratelimit:';
    this.clock = opts.clock ?? systemClock;
    this.keyId = opts.keyId;
  }

  private redisKey(key: string): string {
    if (!this.keyId) return `${this.prefix}${key}`;
    const colon = key.indexOf(':');
    return `${this.prefix}${colon > 0 ? `${key.slice(0, colon)}:` : ''}${this.keyId(key)}`;
  }

  async acquire(key: string, limit: number, windowMs: number, opts: AcquireOptions = {}): Promise<void> {
    const deadline = this.clock.now() + (opts.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
    const redisKey = this.redisKey(key);
    const member = randomUUID();
    for (;;) {
      const now = this.clock.now();
      const wait = Number(await this.redis.eval(SLIDING_WINDOW, 1, redisKey, now, windowMs, limit, member));
      if (wait === 0) return;
      if (now + wait > deadline) throw overLimit(key, wait);
      // a little jitter so replicas waiting for the same slot do not all wake at once
      await this.clock.sleep(wait + Math.floor(Math.random() * 10), opts.signal);
    }
  }
}
