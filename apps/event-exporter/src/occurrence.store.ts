import type { Redis } from 'ioredis';

/** What is remembered of one event: its last occurrence handled and when an alert was last emitted for it. */
export interface OccurrenceRecord {
  /** The occurrence (`count@lastTime`) last handled, emitted or suppressed. */
  o: string;
  /** When the last alert for this event was emitted (ms since the epoch). */
  at: number;
}

/** Redis keys of the event exporter. */
export const EVENT_KEYS = {
  /** `nm:events:seen:<event uid>` → JSON {@link OccurrenceRecord}, expiring after the longest age an occurrence is still exported. */
  seen: (uid: string): string => `nm:events:seen:${uid}`,
  /** Set once, at the first start: occurrences before it were not news (the history a fresh install finds is not notified). */
  since: 'nm:events:since',
} as const;

/** The exporter's memory of handled occurrences, shared by replicas and kept across restarts (Redis). */
export interface OccurrenceStore {
  get(uids: readonly string[]): Promise<Map<string, OccurrenceRecord>>;
  record(entries: ReadonlyArray<{ uid: string } & OccurrenceRecord>, ttlMs: number): Promise<void>;
  /** The watermark: set to `candidate` when absent (the first start), then read; ms since the epoch. */
  watermark(candidate: number): Promise<number>;
}

export function redisOccurrenceStore(redis: Redis): OccurrenceStore {
  return {
    async get(uids) {
      const out = new Map<string, OccurrenceRecord>();
      if (uids.length === 0) return out;
      const values = await redis.mget(...uids.map(EVENT_KEYS.seen));
      values.forEach((v, i) => {
        if (v === null) return;
        try {
          const r = JSON.parse(v) as Partial<OccurrenceRecord>;
          if (typeof r.o === 'string' && typeof r.at === 'number') out.set(uids[i]!, { o: r.o, at: r.at });
        } catch {
          // an unreadable record counts as none
        }
      });
      return out;
    },
    async record(entries, ttlMs) {
      if (entries.length === 0) return;
      const tx = redis.pipeline();
      for (const e of entries) tx.set(EVENT_KEYS.seen(e.uid), JSON.stringify({ o: e.o, at: e.at }), 'PX', Math.max(1000, Math.ceil(ttlMs)));
      const results = await tx.exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error('redis pipeline aborted');
    },
    async watermark(candidate) {
      await redis.set(EVENT_KEYS.since, String(Math.floor(candidate)), 'NX');
      const v = Number(await redis.get(EVENT_KEYS.since));
      return Number.isFinite(v) ? v : candidate;
    },
  };
}

/** An in-memory store, for tests. */
export function memoryOccurrenceStore(): OccurrenceStore & { readonly records: Map<string, OccurrenceRecord> } {
  const records = new Map<string, OccurrenceRecord>();
  let since: number | undefined;
  return {
    records,
    get: (uids) => Promise.resolve(new Map(uids.flatMap((u) => (records.has(u) ? [[u, records.get(u)!] as const] : [])))),
    record: (entries) => {
      for (const e of entries) records.set(e.uid, { o: e.o, at: e.at });
      return Promise.resolve();
    },
    watermark: (candidate) => {
      since ??= candidate;
      return Promise.resolve(since);
    },
  };
}
