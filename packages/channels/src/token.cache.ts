/**
 * Access-token caches (WeCom, DingTalk, Feishu). A token lives for the vendor's `expires_in` minus
 * a safety margin. Concurrent callers share one fetch: in-process through a promise map, across
 * replicas through a short Redis lock (`SET NX PX`) that the other replicas wait on.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { WaitError } from '@nm/errors';
import { systemClock, type Clock } from './clock.js';

export interface FetchedToken {
  token: string;
  /** Lifetime the vendor announced, in seconds. */
  expiresInSec: number;
}

export interface TokenCache {
  /** The cached token for `key`, fetching (once, for every concurrent caller) when absent. */
  get(key: string, fetch: () => Promise<FetchedToken>): Promise<string>;
  /** Forgets the token; with `staleToken`, only if it is still the cached one (no refresh storms). */
  invalidate(key: string, staleToken?: string): Promise<void>;
}

export interface TokenCacheOptions {
  /** Seconds taken off the vendor's lifetime (default 300; at most half the lifetime). */
  marginSec?: number;
  clock?: Clock;
}

/** Seconds a token is kept: lifetime minus the margin, at least half the lifetime, at least 1. */
export function tokenTtlSec(expiresInSec: number, marginSec: number): number {
  const life = Number.isFinite(expiresInSec) && expiresInSec > 0 ? expiresInSec : 7200;
  return Math.max(1, Math.floor(Math.max(life - marginSec, life / 2)));
}

/** Cache keys hold credentials (corp id + secret): in process, only their hash is kept (Redis keys use the sealer's HMAC). */
export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 40);

abstract class SingleFlight {
  private readonly inflight = new Map<string, Promise<string>>();
  protected once(id: string, run: () => Promise<string>): Promise<string> {
    const running = this.inflight.get(id);
    if (running) return running;
    const p = run().finally(() => this.inflight.delete(id));
    this.inflight.set(id, p);
    return p;
  }
}

/** In-process cache, for single-replica use and unit tests. */
export class MemoryTokenCache extends SingleFlight implements TokenCache {
  private readonly entries = new Map<string, { token: string; expiresAt: number }>();
  private readonly marginSec: number;
  private readonly clock: Clock;

  constructor(opts: TokenCacheOptions = {}) {
    super();
    this.marginSec = opts.marginSec ?? 300;
    this.clock = opts.clock ?? systemClock;
  }

  get(key: string, fetch: () => Promise<FetchedToken>): Promise<string> {
    const id = hashKey(key);
    const hit = this.entries.get(id);
    if (hit && hit.expiresAt > this.clock.now()) return Promise.resolve(hit.token);
    return this.once(id, async () => {
      const t = await fetch();
      const expiresAt = this.clock.now() + tokenTtlSec(t.expiresInSec, this.marginSec) * 1000;
      this.entries.set(id, { token: t.token, expiresAt });
      return t.token;
    });
  }

  invalidate(key: string, staleToken?: string): Promise<void> {
    const id = hashKey(key);
    const hit = this.entries.get(id);
    if (hit && (staleToken === undefined || hit.token === staleToken)) this.entries.delete(id);
    return Promise.resolve();
  }
}

/**
 * Seals what is stored in Redis and names keys derived from secrets (a SecretBox of
 * @nm/config-store, keyed by `NM_SECRET_KEY`). Every production cache has one.
 */
export interface TokenSealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /** A keyed, non-reversible id of secret material (an HMAC; never a plain hash). */
  keyId(material: string): string;
}

export interface RedisTokenCacheOptions extends TokenCacheOptions {
  prefix?: string;
  /**
   * Tokens are stored sealed and their keys are HMAC ids of the app credentials. Without one
   * (unit tests only), tokens are stored in clear under a SHA-256 of the credentials.
   */
  sealer?: TokenSealer;
  /** How long one replica may hold the fetch lock (default 10 s). */
  lockTtlMs?: number;
  /** How often waiting replicas look for the token (default 50 ms). */
  pollMs?: number;
}

/** Deletes KEYS[1] only while it still holds ARGV[1] (lock release, stale-token invalidation). */
const COMPARE_AND_DELETE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Cache shared by every replica through Redis. */
export class RedisTokenCache extends SingleFlight implements TokenCache {
  private readonly prefix: string;
  private readonly sealer: TokenSealer | undefined;
  private readonly marginSec: number;
  private readonly lockTtlMs: number;
  private readonly pollMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly redis: Redis,
    opts: RedisTokenCacheOptions = {},
  ) {
    super();
    this.prefix = opts.prefix ?? 'nm:token:';
    this.sealer = opts.sealer;
    this.marginSec = opts.marginSec ?? 300;
    this.lockTtlMs = opts.lockTtlMs ?? 10_000;
    this.pollMs = opts.pollMs ?? 50;
    this.clock = opts.clock ?? systemClock;
  }

  private idOf(key: string): string {
    return this.sealer ? this.sealer.keyId(key) : hashKey(key);
  }

  /** The token of a stored value; a value that no longer opens (the key changed) counts as absent. */
  private read(stored: string | null): string | null {
    if (stored === null || !this.sealer) return stored;
    try {
      return this.sealer.open(stored);
    } catch {
      return null;
    }
  }

  async get(key: string, fetch: () => Promise<FetchedToken>): Promise<string> {
    const id = this.idOf(key);
    const tokenKey = `${this.prefix}${id}`;
    const cached = this.read(await this.redis.get(tokenKey));
    if (cached !== null) return cached;
    return this.once(id, () => this.fetchShared(tokenKey, fetch));
  }

  private async fetchShared(tokenKey: string, fetch: () => Promise<FetchedToken>): Promise<string> {
    const lockKey = `${tokenKey}:lock`;
    const owner = randomUUID();
    const deadline = this.clock.now() + 2 * this.lockTtlMs + 1000;
    while (this.clock.now() < deadline) {
      const locked = await this.redis.set(lockKey, owner, 'PX', this.lockTtlMs, 'NX');
      if (locked === 'OK') {
        try {
          const again = this.read(await this.redis.get(tokenKey));
          if (again !== null) return again;
          const t = await fetch();
          const stored = this.sealer ? this.sealer.seal(t.token) : t.token;
          await this.redis.set(tokenKey, stored, 'EX', tokenTtlSec(t.expiresInSec, this.marginSec));
          return t.token;
        } finally {
          await this.redis.eval(COMPARE_AND_DELETE, 1, lockKey, owner);
        }
      }
      await this.clock.sleep(this.pollMs);
      const now = this.read(await this.redis.get(tokenKey));
      if (now !== null) return now;
    }
    // another replica still fetching is a wait, not an attempt of the message
    throw new WaitError('timed out waiting for another replica to fetch the access token', {
      code: 'token:lock-timeout',
    });
  }

  async invalidate(key: string, staleToken?: string): Promise<void> {
    const tokenKey = `${this.prefix}${this.idOf(key)}`;
    if (staleToken === undefined) {
      await this.redis.del(tokenKey);
      return;
    }
    // sealed values differ on every seal: compare the token inside, then delete exactly that stored value
    const stored = await this.redis.get(tokenKey);
    if (stored === null || this.read(stored) !== staleToken) return;
    await this.redis.eval(COMPARE_AND_DELETE, 1, tokenKey, stored);
  }
}

/**
 * Calls `call` with the cached token; when the reply says the token expired or is invalid,
 * invalidates exactly that token, fetches a fresh one and calls once more.
 */
export async function withTokenRefresh<R>(
  cache: TokenCache,
  key: string,
  fetch: () => Promise<FetchedToken>,
  call: (token: string) => Promise<R>,
  expired: (reply: R) => boolean,
): Promise<R> {
  const token = await cache.get(key, fetch);
  const first = await call(token);
  if (!expired(first)) return first;
  await cache.invalidate(key, token);
  return call(await cache.get(key, fetch));
}
