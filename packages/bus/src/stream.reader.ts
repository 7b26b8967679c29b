import type { JetStreamManager, MsgRequest, StoredMsg } from '@nats-io/jetstream';

/** One message read back from a stream (for read APIs, not for processing). */
export interface StoredEntry {
  readonly seq: number;
  readonly subject: string;
  /** RFC 3339 time the stream stored the message. */
  readonly time: string;
  /** The payload as UTF-8 text. */
  readonly data: string;
}

export interface StreamReader {
  /**
   * The last `limit` messages of `stream` whose subject matches `filter` (wildcards allowed), newest
   * first; with `accept`, only messages it accepts count (e.g. a field of the payload).
   */
  latest(stream: string, filter: string, limit: number, accept?: (e: StoredEntry) => boolean): Promise<StoredEntry[]>;
  /** One message by sequence; null when it does not exist (never stored, expired or deleted). */
  get(stream: string, seq: number): Promise<StoredEntry | null>;
  /** Deletes one message by sequence; false when it was not there. */
  remove(stream: string, seq: number): Promise<boolean>;
}

const entryOf = (m: StoredMsg): StoredEntry => ({
  seq: m.seq,
  subject: m.subject,
  time: m.time.toISOString(),
  data: m.string(),
});

/** nats-server answers a delete of a missing sequence with "sequence N not found" (2.9) or "no message found". */
const isNotFound = (err: unknown): boolean => /no message found|sequence \d+ not found/i.test((err as Error).message ?? '');

/**
 * Reads streams through the message-get API (`STREAM.MSG.GET` with `next_by_subj`, available
 * since nats-server 2.9), so no consumer is created and nothing is acked. Newest-first listing walks
 * backwards in windows of sequences (doubling each time), scanning each window forward by subject,
 * until `limit` matches were found or the start of the stream was reached.
 */
export function createStreamReader(jsm: JetStreamManager): StreamReader {
  const nextFrom = async (stream: string, seq: number, filter: string): Promise<StoredMsg | null> => {
    // The client types only declare seq / last_by_subj for this API; the server also accepts next_by_subj.
    const query = { seq, next_by_subj: filter } as unknown as MsgRequest;
    return jsm.streams.getMessage(stream, query);
  };

  return {
    async latest(stream, filter, limit, accept) {
      if (limit <= 0) return [];
      const { state } = await jsm.streams.info(stream);
      if (state.messages === 0) return [];
      const first = Math.max(1, state.first_seq);
      const out: StoredEntry[] = [];
      let end = state.last_seq;
      let window = Math.max(64, limit * 2);
      while (end >= first && out.length < limit) {
        const start = Math.max(first, end - window + 1);
        const found: StoredMsg[] = [];
        for (let seq = start; seq <= end; ) {
          const m = await nextFrom(stream, seq, filter);
          if (!m || m.seq > end) break;
          found.push(m);
          seq = m.seq + 1;
        }
        for (let i = found.length - 1; i >= 0 && out.length < limit; i--) {
          const e = entryOf(found[i]!);
          if (!accept || accept(e)) out.push(e);
        }
        end = start - 1;
        window *= 2;
      }
      return out;
    },

    async get(stream, seq) {
      if (!Number.isSafeInteger(seq) || seq < 1) return null;
      const m = await jsm.streams.getMessage(stream, { seq });
      return m ? entryOf(m) : null;
    },

    async remove(stream, seq) {
      try {
        return await jsm.streams.deleteMessage(stream, seq, false);
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },
  };
}
