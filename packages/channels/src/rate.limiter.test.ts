import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RetryableError } from '@nm/errors';
import { MemoryRateLimiter, RedisRateLimiter } from './rate.limiter.js';
import type { Redis } from 'ioredis';
import { RecordingClock } from './test-support/fixtures.js';
import { startRedisSocket, type PrivateRedisSocket } from './test-support/redis.server.js';

/** No window of `windowMs` holds more than `limit` grants. */
function expectWithinLimit(times: number[], limit: number, windowMs: number, toleranceMs = 0): void {
  const t = [...times].sort((x, y) => x - y);
  for (let i = 0; i + limit < t.length; i++) expect(t[i + limit]! - t[i]!).toBeGreaterThanOrEqual(windowMs - toleranceMs);
}

/** Collects the `now` under which the sliding-window script stored each grant (it answers 0 for a grant). */
function recordingGrants(conn: Redis, stored: number[]): Redis {
  const evalOnce = conn.eval.bind(conn) as (...args: (string | number)[]) => Promise<unknown>;
  const recording = async (...args: (string | number)[]): Promise<unknown> => {
    const answer = await evalOnce(...args);
    if (Number(answer) === 0) stored.push(Number(args[3]));
    return answer;
  };
  (conn as unknown as { eval: typeof recording }).eval = recording;
  return conn;
}

describe('MemoryRateLimiter', () => {
  it('queues callers over the limit instead of dropping them', async () => {
    const clock = new RecordingClock();
    const limiter = new MemoryRateLimiter(clock);
    const granted: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, () => limiter.acquire('robot', 3, 1000, { maxWaitMs: 5000 }).then(() => granted.push(clock.now()))),
    );
    expect(granted).toHaveLength(7);
    // grant times are observed after the grant, so a late observation may shorten a window a little
    expectWithinLimit(granted, 3, 1000, 100);
    expect(clock.sleeps.length).toBeGreaterThanOrEqual(2);
  });

  it('throws RetryableError with retryAfterMs once the wait would exceed maxWaitMs', async () => {
    const clock = new RecordingClock();
    const limiter = new MemoryRateLimiter(clock);
    for (let i = 0; i < 20; i++) await limiter.acquire('robot', 20, 60_000);
    const err = await limiter.acquire('robot', 20, 60_000, { maxWaitMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBeGreaterThan(59_000);
    expect(clock.sleeps).toEqual([]);
  });

  it('keeps keys independent', async () => {
    const clock = new RecordingClock();
    const limiter = new MemoryRateLimiter(clock);
    await limiter.acquire('a', 1, 1000);
    await limiter.acquire('b', 1, 1000);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('RedisRateLimiter (two replicas, private redis-server)', () => {
  let redis: PrivateRedisSocket;
  beforeAll(async () => {
    redis = await startRedisSocket();
  });
  afterAll(async () => redis.stop());

  it('enforces one window across replicas, queueing without loss', async () => {
    // the times checked are the ones the shared window stored its grants under, not when each caller
    // happened to resume: a busy event loop may resume one caller late and make a window look short
    const stored: number[] = [];
    const a = new RedisRateLimiter(recordingGrants(redis.connect(), stored));
    const b = new RedisRateLimiter(recordingGrants(redis.connect(), stored));
    let resumed = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).acquire('robot-1', 3, 300, { maxWaitMs: 5000 }).then(() => resumed++)),
    );
    expect(resumed).toBe(8);
    expect(stored).toHaveLength(8);
    // a replica's time is read one round trip before its script runs, so a window may come out that much short
    expectWithinLimit(stored, 3, 300, 5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
  });

  it('throws RetryableError when the shared window stays full past maxWaitMs', async () => {
    const a = new RedisRateLimiter(redis.connect());
    const b = new RedisRateLimiter(redis.connect());
    await a.acquire('robot-2', 2, 60_000);
    await a.acquire('robot-2', 2, 60_000);
    const err = await b.acquire('robot-2', 2, 60_000, { maxWaitMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBeGreaterThan(59_000);
  });

  it('with keyId, names the Redis key by kind and keyed id (no text of the limiter key), and errors name only the kind', async () => {
    const keyId = (m: string): string => `id${m.length}`;
    const a = new RedisRateLimiter(redis.connect(), { prefix: 'rl3:', keyId });
    const key = 'wechat-bot:https://qyapi.example/cgi-bin/webhook/send?key=planted';
    await a.acquire(key, 1, 60_000);
    const client = redis.connect();
    expect(await client.keys('rl3:*')).toEqual([`rl3:wechat-bot:id${key.length}`]);
    const err = (await a.acquire(key, 1, 60_000, { maxWaitMs: 10 }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/^rate limit of wechat-bot is exhausted/);
    expect(err.message).not.toContain('planted');
  });
});

