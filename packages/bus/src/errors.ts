/**
 * Failure classes that decide what the consume loop does with a message:
 * retryable → nak with backoff (dead-letter once the retry budget is spent);
 * permanent → dead-letter now. Unknown errors count as retryable.
 * Other packages may define their own classes: the classification also recognises any error
 * whose `name` is `RetryableError` / `PermanentError` (so `@nm/channels` needs no NATS dependency).
 */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  readonly code: string;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, opts: { code?: string; cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, { cause: opts.cause });
    this.code = opts.code ?? 'RETRYABLE';
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  readonly code: string;
  constructor(message: string, opts: { code?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.code = opts.code ?? 'PERMANENT';
  }
}

/** The bus could not reach NATS or JetStream did not acknowledge a publish. */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
  readonly code = 'BUS_UNAVAILABLE';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
  }
}

export interface Classified {
  kind: 'retryable' | 'permanent';
  code: string;
  retryAfterMs?: number;
  message: string;
}

export function classifyError(err: unknown): Classified {
  const e = err as { name?: unknown; code?: unknown; retryAfterMs?: unknown; message?: unknown } | undefined;
  const message = e && typeof e.message === 'string' ? e.message : String(err);
  const code = e && typeof e.code === 'string' ? e.code : 'ERROR';
  if (err instanceof PermanentError || e?.name === 'PermanentError' || e?.name === 'PartialFailureError')
    return { kind: 'permanent', code, message };
  const retryAfterMs = typeof e?.retryAfterMs === 'number' ? e.retryAfterMs : undefined;
  return retryAfterMs === undefined ? { kind: 'retryable', code, message } : { kind: 'retryable', code, message, retryAfterMs };
}

/** Exponential backoff with ±20% jitter, capped. `attempt` starts at 1. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = exp * 0.2 * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(maxMs, exp + jitter)));
}
