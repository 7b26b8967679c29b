import { createHash } from 'node:crypto';
import type { Runtime } from '@nm/service-kit';

type Redis = Runtime['redis'];

/**
 * Which (group, alert) pairs of a routed message were already published as notifications.
 * When a flush fails part-way (some groups or parts published, others not) or the aggregator
 * dies before acking, the routed message is redelivered; the pairs recorded here are skipped
 * then, so a published alert is never notified a second time in a regrouped notification.
 */
export interface PublishedLog {
  /** Pairs of message `msgKey` already published. */
  published(msgKey: string): Promise<ReadonlySet<string>>;
  /** Records published pairs, per contributing message. */
  record(entries: ReadonlyMap<string, readonly string[]>): Promise<void>;
  /** The message was acked: its pairs are no longer needed. */
  forget(msgKey: string): Promise<void>;
}

/** The short hash of a group id that entries of its pairs start with. */
export function groupDigest(groupId: string): string {
  return createHash('sha1').update(groupId).digest('hex').slice(0, 12);
}

/** The pair's entry: a short hash of the group id (`groupDigest`, when known), and the alert id. */
export function publishedEntry(groupId: string, alertId: string, digest = groupDigest(groupId)): string {
  return `${digest}:${alertId}`;
}

/** KEYS: the messages' sets; ARGV: the TTL, then for each key the number of its entries and the entries. */
const RECORD = `
local i = 2
for k = 1, #KEYS do
  local n = tonumber(ARGV[i])
  local j, last = i + 1, i + n
  while j <= last do
    local e = math.min(j + 999, last)
    redis.call('SADD', KEYS[k], unpack(ARGV, j, e))
    j = e + 1
  end
  redis.call('PEXPIRE', KEYS[k], ARGV[1])
  i = i + 1 + n
end
return #KEYS
`;

interface RecordCommand {
  nmAggPublishedRecord(numKeys: number, ...keysAndArgs: Array<string | number>): Promise<number>;
}

/** Redis sets `nm:agg:published:<msgKey>` with a TTL (default one day). */
export function redisPublishedLog(redis: Redis, ttlMs = 24 * 3600 * 1000): PublishedLog {
  const key = (m: string): string => `nm:agg:published:${m}`;
  // EVALSHA (the script is sent once per connection, not with every flush)
  redis.defineCommand('nmAggPublishedRecord', { lua: RECORD });
  return {
    published: async (m) => new Set(await redis.smembers(key(m))),
    // one command per flush, however many messages contributed (a group of 100 alerts from 100
    // messages would otherwise be 200 commands)
    record: async (entries) => {
      const keys: string[] = [];
      const args: Array<string | number> = [ttlMs];
      for (const [m, list] of entries) {
        if (list.length === 0) continue;
        keys.push(key(m));
        args.push(list.length, ...list);
      }
      if (keys.length > 0) await (redis as unknown as RecordCommand).nmAggPublishedRecord(keys.length, ...keys, ...args);
    },
    forget: async (m) => {
      await redis.del(key(m));
    },
  };
}

/** In this process only (tests). */
export function memoryPublishedLog(): PublishedLog & { size(): number } {
  const sets = new Map<string, Set<string>>();
  return {
    published: (m) => Promise.resolve(new Set(sets.get(m) ?? [])),
    record: (entries) => {
      for (const [m, list] of entries) {
        const s = sets.get(m) ?? new Set<string>();
        for (const e of list) s.add(e);
        sets.set(m, s);
      }
      return Promise.resolve();
    },
    forget: (m) => {
      sets.delete(m);
      return Promise.resolve();
    },
    size: () => sets.size,
  };
}
