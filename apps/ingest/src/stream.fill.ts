import type { BusConnection } from '@nm/bus';

type JetStreamManager = BusConnection['jsm'];

/** How full a stream is: the larger of messages / max_msgs and bytes / max_bytes (limits ≤ 0 are ignored). */
export interface StreamFill {
  /** 0 (empty) … 1 (full). */
  fraction: number;
  messages: number;
  maxMsgs: number;
  bytes: number;
  maxBytes: number;
}

export function fillOf(state: { messages: number; bytes: number }, config: { max_msgs?: number; max_bytes?: number }): StreamFill {
  const maxMsgs = config.max_msgs ?? -1;
  const maxBytes = config.max_bytes ?? -1;
  const byMsgs = maxMsgs > 0 ? state.messages / maxMsgs : 0;
  const byBytes = maxBytes > 0 ? state.bytes / maxBytes : 0;
  return { fraction: Math.max(byMsgs, byBytes), messages: state.messages, maxMsgs, bytes: state.bytes, maxBytes };
}

/**
 * Reads a stream's fill from `jsm.streams.info`, at most once per `cacheMs` (concurrent callers
 * share one request). Resolves `undefined` while NATS is unavailable, or when the request fails or
 * takes longer than `timeoutMs`: the publish itself then decides (it fails with 503 when NATS is
 * away or the stream is full), so the check never holds a request up for long.
 */
export function cachedStreamFill(
  jsm: () => JetStreamManager | undefined,
  stream: string,
  opts: { cacheMs?: number; timeoutMs?: number; now?: () => number; onError?: (err: Error) => void } = {},
): () => Promise<StreamFill | undefined> {
  const cacheMs = opts.cacheMs ?? 500;
  const timeoutMs = opts.timeoutMs ?? 1000;
  const now = opts.now ?? Date.now;
  let cached: { at: number; fill: StreamFill | undefined } | undefined;
  let inflight: Promise<StreamFill | undefined> | undefined;
  const read = async (): Promise<StreamFill | undefined> => {
    const m = jsm();
    if (!m) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`stream info of ${stream} took longer than ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const info = await Promise.race([m.streams.info(stream), timeout]);
      return fillOf(info.state, info.config);
    } catch (err) {
      opts.onError?.(err as Error);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  return async () => {
    if (cached && now() - cached.at < cacheMs) return cached.fill;
    inflight ??= read().then((fill) => {
      cached = { at: now(), fill };
      inflight = undefined;
      return fill;
    });
    return inflight;
  };
}
