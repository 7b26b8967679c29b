import type { Redis } from 'ioredis';
import { keys } from './layout.js';

/** Records that `service` is up, every `everyMs`; returns a stop function. */
export function startHeartbeat(redis: Redis, service: string, instance: string, everyMs = 2000): () => void {
  const beat = (): void => {
    redis.hset(keys.heartbeats, service, JSON.stringify({ instance, at: Date.now() })).catch(() => undefined);
  };
  beat();
  const t = setInterval(beat, everyMs);
  t.unref();
  return () => clearInterval(t);
}

/** Services that beat within `maxAgeMs`. */
export async function aliveServices(redis: Redis, maxAgeMs = 10_000): Promise<Set<string>> {
  const all = await redis.hgetall(keys.heartbeats);
  const now = Date.now();
  const alive = new Set<string>();
  for (const [service, json] of Object.entries(all)) {
    try {
      const { at } = JSON.parse(json) as { at: number };
      if (now - at <= maxAgeMs) alive.add(service);
    } catch {
      /* ignore malformed entries */
    }
  }
  return alive;
}
