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

/** Entries one script call carries about at most: a batch this full takes no more records; the next ones start another, written at the end of the same turn. */
const MAX_BATCH_ENTRIES = 20_000;

/**
 * Redis sets `nm:agg:published:<msgKey>` with a TTL (default one day).
 *
 * Writes are batched per event-loop turn: the records of every flush that completes in one turn
 * (groups come due in waves, and a message feeds many of them) go out as one script call in
 * `setImmediate`, one SADD per contributing message however many of its groups flushed; each
 * caller's promise settles with that call, so a message is still acked only after its pairs are
 * stored. Forgotten messages are deleted the same way, in one command per turn.
 */
export function redisPublishedLog(redis: Redis, ttlMs = 24 * 3600 * 1000): PublishedLog {
  const key = (m: string): string => `nm:agg:published:${m}`;
  // EVALSHA (the script is sent once per connection, not with every flush)
  redis.defineCommand('nmAggPublishedRecord', { lua: RECORD });
  const write = async (entries: ReadonlyMap<string, readonly string[]>): Promise<void> => {
    const keys: string[] = [];
    const args: Array<string | number> = [ttlMs];
    for (const [m, list] of entries) {
      keys.push(key(m));
      args.push(list.length);
      for (const e of list) args.push(e);
    }
    await (redis as unknown as RecordCommand).nmAggPublishedRecord(keys.length, ...keys, ...args);
  };
  let batch: { entries: Map<string, string[]>; count: number; written: Promise<void> } | undefined;
  /** Batches not yet stored: a lookup in the same turn (a redelivery racing the flush) sees them too. */
  const unwritten = new Set<Map<string, string[]>>();
  const startBatch = (): NonNullable<typeof batch> => {
    const entries = new Map<string, string[]>();
    unwritten.add(entries);
    let go!: () => void;
    const written = new Promise<void>((resolve, reject) => {
      go = () =>
        void write(entries).then(
          () => {
            unwritten.delete(entries);
            resolve();
          },
          (err: unknown) => {
            unwritten.delete(entries);
            reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
    });
    const b = { entries, count: 0, written };
    setImmediate(() => {
      if (batch === b) batch = undefined;
      go();
    });
    return b;
  };
  let forgetting: { keys: string[]; deleted: Promise<void> } | undefined;
  return {
    published: async (m) => {
      const pending = (): string[] => [...unwritten].flatMap((entries) => entries.get(m) ?? []);
      const before = pending();
      const found = new Set(await redis.smembers(key(m)));
      for (const e of [...before, ...pending()]) found.add(e);
      return found;
    },
    record: (entries) => {
      let b: typeof batch;
      for (const [m, list] of entries) {
        if (list.length === 0) continue;
        b = batch ??= startBatch();
        const mine = b.entries.get(m);
        if (mine) for (const e of list) mine.push(e);
        else b.entries.set(m, [...list]);
        b.count += list.length;
      }
      if (!b) return Promise.resolve();
      const written = b.written;
      // a full batch takes no more: the next records start another (written in the same turn)
      if (b.count >= MAX_BATCH_ENTRIES && batch === b) batch = undefined;
      return written;
    },
    forget: (m) => {
      if (!forgetting) {
        const keys: string[] = [];
        let go!: () => void;
        const deleted = new Promise<void>((resolve, reject) => {
          go = () => void redis.del(...keys).then(() => resolve(), reject);
        });
        forgetting = { keys, deleted };
        setImmediate(() => {
          forgetting = undefined;
          go();
        });
      }
      forgetting.keys.push(key(m));
      return forgetting.deleted;
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
