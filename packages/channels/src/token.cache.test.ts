import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { MemoryTokenCache, RedisTokenCache, tokenTtlSec, withTokenRefresh, type FetchedToken } from './token.cache.js';
import { RecordingClock } from './test-support/fixtures.js';
import { startRedisSocket, type PrivateRedisSocket } from './test-support/redis.server.js';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function counter(expiresInSec = 7200, ms = 50): { fetch: () => Promise<FetchedToken>; count: () => number } {
  let n = 0;
  return {
    fetch: async () => {
      n += 1;
      await delay(ms);
      return { token: `tok-${n}`, expiresInSec };
    },
    count: () => n,
  };
}

describe('tokenTtlSec', () => {
  it('keeps the vendor lifetime minus the margin, never below half of it', () => {
    expect(tokenTtlSec(7200, 300)).toBe(6900);
    expect(tokenTtlSec(60, 300)).toBe(30);
    expect(tokenTtlSec(0, 300)).toBe(6900);
  });
});

describe('MemoryTokenCache', () => {
  it('fetches once for concurrent callers and again after the TTL', async () => {
    const clock = new RecordingClock();
    const cache = new MemoryTokenCache({ clock });
    const c = counter();
    const got = await Promise.all(Array.from({ length: 10 }, () => cache.get('corp|secret', c.fetch)));
    expect(new Set(got)).toEqual(new Set(['tok-1']));
    clock.offsetMs += 6899_000;
    expect(await cache.get('corp|secret', c.fetch)).toBe('tok-1');
    clock.offsetMs += 2000;
    expect(await cache.get('corp|secret', c.fetch)).toBe('tok-2');
    expect(c.count()).toBe(2);
  });

  it('invalidates only the stale token', async () => {
    const cache = new MemoryTokenCache();
    const c = counter();
    await cache.get('k', c.fetch);
    await cache.invalidate('k', 'some-other-token');
    expect(await cache.get('k', c.fetch)).toBe('tok-1');
    await cache.invalidate('k', 'tok-1');
    expect(await cache.get('k', c.fetch)).toBe('tok-2');
  });

  it('refreshes once when the reply says the token expired', async () => {
    const cache = new MemoryTokenCache();
    const c = counter();
    const seen: string[] = [];
    const reply = await withTokenRefresh(cache, 'k', c.fetch, (t) => Promise.resolve(seen.push(t) === 1 ? 42001 : 0), (code) => code === 42001);
    expect(reply).toBe(0);
    expect(seen).toEqual(['tok-1', 'tok-2']);
    // a second expiry in a row is returned to the caller, not looped on
    const stuck = await withTokenRefresh(cache, 'k', c.fetch, () => Promise.resolve(42001), (code) => code === 42001);
    expect(stuck).toBe(42001);
    expect(c.count()).toBe(3);
  });
});

describe('RedisTokenCache (two replicas, private redis-server)', () => {
  let redis: PrivateRedisSocket;
  beforeAll(async () => {
    redis = await startRedisSocket();
  });
  afterAll(async () => redis.stop());

  it('fetches once across replicas and concurrent callers, with the vendor TTL minus the margin', async () => {
    const a = new RedisTokenCache(redis.connect(), { prefix: 't1:' });
    const b = new RedisTokenCache(redis.connect(), { prefix: 't1:' });
    const c = counter(7200, 150);
    const got = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).get('corp|s3cret', c.fetch)));
    expect(c.count()).toBe(1);
    expect(new Set(got)).toEqual(new Set(['tok-1']));
    const client = redis.connect();
    const keys = await client.keys('t1:*');
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain('s3cret');
    const ttl = await client.ttl(keys[0]!);
    expect(ttl).toBeGreaterThan(6890);
    expect(ttl).toBeLessThanOrEqual(6900);
  });

  it('compare-and-delete on invalidate, and a failed fetch releases the lock', async () => {
    const a = new RedisTokenCache(redis.connect(), { prefix: 't2:' });
    const b = new RedisTokenCache(redis.connect(), { prefix: 't2:' });
    const c = counter(7200, 10);
    await expect(a.get('k', () => Promise.reject(new Error('vendor down')))).rejects.toThrow('vendor down');
    const started = Date.now();
    expect(await b.get('k', c.fetch)).toBe('tok-1');
    // a lock left behind would make b wait for its 10 s lifetime
    expect(Date.now() - started).toBeLessThan(5000);
    await a.invalidate('k', 'stale');
    expect(await b.get('k', c.fetch)).toBe('tok-1');
    await a.invalidate('k', 'tok-1');
    expect(await b.get('k', c.fetch)).toBe('tok-2');
  });

  it('with a sealer, stores the token sealed under an HMAC id of the credentials and invalidates exactly the stale token', async () => {
    const sealer = testSealer('cache-key');
    const a = new RedisTokenCache(redis.connect(), { prefix: 't3:', sealer });
    const b = new RedisTokenCache(redis.connect(), { prefix: 't3:', sealer });
    const c = counter(7200, 10);
    const creds = 'corp-id|planted-app-secret';
    expect(await Promise.all([a.get(creds, c.fetch), b.get(creds, c.fetch)])).toEqual(['tok-1', 'tok-1']);
    const client = redis.connect();
    const keys = await client.keys('t3:*');
    expect(keys).toEqual([`t3:${sealer.keyId(creds)}`]);
    expect(keys[0]).not.toContain(createHash('sha256').update(creds).digest('hex').slice(0, 40));
    const stored = (await client.get(keys[0]!))!;
    expect(stored).not.toContain('tok-1');
    expect(sealer.open(stored)).toBe('tok-1');
    await a.invalidate(creds, 'another-token');
    expect(await b.get(creds, c.fetch)).toBe('tok-1');
    await a.invalidate(creds, 'tok-1');
    expect(await b.get(creds, c.fetch)).toBe('tok-2');
    // a value sealed with another key (after a rotation) is a miss, not an error
    const rotated = new RedisTokenCache(redis.connect(), { prefix: 't3:', sealer: { ...testSealer('new-key'), keyId: sealer.keyId } });
    expect(await rotated.get(creds, c.fetch)).toBe('tok-3');
  });
});

/** AES-256-GCM with a random IV, like the SecretBox the services pass. */
function testSealer(secret: string): { seal: (p: string) => string; open: (s: string) => string; keyId: (m: string) => string } {
  const key = createHash('sha256').update(secret).digest();
  return {
    seal: (p) => {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([c.update(p, 'utf8'), c.final()]);
      return [iv, c.getAuthTag(), ct].map((b) => b.toString('base64url')).join('.');
    },
    open: (s) => {
      const [iv, tag, ct] = s.split('.').map((p) => Buffer.from(p, 'base64url'));
      const d = createDecipheriv('aes-256-gcm', key, iv!);
      d.setAuthTag(tag!);
      return Buffer.concat([d.update(ct!), d.final()]).toString('utf8');
    },
    keyId: (m) => createHmac('sha256', key).update(m).digest('hex').slice(0, 40),
  };
}
