/**
 * Counts the attempts a message spent across redeliveries (and replicas): only failures that were
 * the message's own (not waits on infrastructure) are counted, so the retry budget is spent by
 * delivery attempts alone. JetStream's delivery count cannot tell the two apart.
 */
export interface AttemptStore {
  /** Attempts already spent by the message `key` (0 when none). */
  spent(key: string): Promise<number>;
  /** Records one more spent attempt and resolves with the new total. */
  spend(key: string): Promise<number>;
  /** Drops the count (the message was acked or dead-lettered). */
  forget(key: string): Promise<void>;
}

/** Counts in this process only (tests, single replica): lost on restart. Bounded. */
export function memoryAttemptStore(limit = 100_000): AttemptStore {
  const counts = new Map<string, number>();
  return {
    spent: (key) => Promise.resolve(counts.get(key) ?? 0),
    spend: (key) => {
      const n = (counts.get(key) ?? 0) + 1;
      counts.delete(key);
      if (counts.size >= limit) counts.delete(counts.keys().next().value as string);
      counts.set(key, n);
      return Promise.resolve(n);
    },
    forget: (key) => {
      counts.delete(key);
      return Promise.resolve();
    },
  };
}

/** The Redis commands the Redis-backed store needs (an ioredis client satisfies it). */
export interface AttemptRedis {
  get(key: string): Promise<string | null>;
  incr(key: string): Promise<number>;
  pexpire(key: string, ms: number): Promise<number>;
  del(key: string): Promise<number>;
}

/** Counts in Redis, shared by every replica and kept across restarts (`nm:attempts:<key>`, 7-day TTL). */
export function redisAttemptStore(redis: AttemptRedis, ttlMs = 7 * 24 * 3600 * 1000): AttemptStore {
  const k = (key: string): string => `nm:attempts:${key}`;
  return {
    spent: async (key) => Number((await redis.get(k(key))) ?? 0),
    spend: async (key) => {
      const n = await redis.incr(k(key));
      await redis.pexpire(k(key), ttlMs);
      return n;
    },
    forget: async (key) => {
      await redis.del(k(key));
    },
  };
}
