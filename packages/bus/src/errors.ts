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

/**
 * The message could not be handled because something it depends on is not available (NATS, Redis,
 * the configuration, a lease held by another replica, a rate-limit slot, room in the next stream).
 * Not the message's fault: it is retried with backoff and the wait does NOT spend its retry budget.
 */
export class WaitError extends Error {
  override readonly name: string = 'WaitError';
  readonly code: string;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, opts: { code?: string; cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, { cause: opts.cause });
    this.code = opts.code ?? 'WAIT';
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** The bus could not reach NATS or JetStream did not acknowledge a publish (e.g. the next stream is full). */
export class BusUnavailableError extends WaitError {
  override readonly name = 'BusUnavailableError';
  constructor(message: string, opts: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, { code: 'BUS_UNAVAILABLE', ...opts });
  }
}

/** A message that cannot fit the server's `max_payload`, even alone: permanent, dead-lettered with the reason. */
export class MessageTooLargeError extends PermanentError {
  constructor(message: string) {
    super(message, { code: 'MESSAGE_TOO_LARGE' });
  }
}

export interface Classified {
  /** `wait`: infrastructure, retried without spending the retry budget. */
  kind: 'retryable' | 'permanent' | 'wait';
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
  const kind = err instanceof WaitError ? 'wait' : 'retryable';
  return retryAfterMs === undefined ? { kind, code, message } : { kind, code, message, retryAfterMs };
}

/** Exponential backoff with ±20% jitter, capped. `attempt` starts at 1. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = exp * 0.2 * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(maxMs, exp + jitter)));
}
