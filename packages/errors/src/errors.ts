/**
 * The one failure taxonomy of every stage and channel. What a consume loop does with a message
 * follows from the class of the error its handler threw, decided once by `classifyError`:
 *
 * - `PermanentError`: retrying cannot help (bad credentials, unknown receiver, invalid payload, a
 *   message too large for the server): dead-lettered now, with the reason.
 * - `RetryableError`: it may go away (timeouts, 5xx, 429 and vendor rate limits, expired tokens):
 *   redelivered with backoff (honouring `retryAfterMs`), spending one attempt of the retry budget.
 * - `WaitError`, a `RetryableError`: something the message depends on is not available (NATS,
 *   Redis, the configuration, a lease held by another replica, a rate-limit slot, a token another
 *   replica is fetching, room in the next stream). Not the message's fault: retried with backoff
 *   for as long as it lasts, without spending the retry budget.
 *
 * Any other error counts as retryable, so the retry budget and then the dead-letter queue decide,
 * never a silent drop. Messages and causes never carry credentials.
 */

export interface FailureOptions {
  /** Stable machine-readable code (`wechat:45009`, `http:503`, `REDIS_UNAVAILABLE`). */
  code?: string;
  cause?: unknown;
}

export interface RetryOptions extends FailureOptions {
  /** How long to wait before the next try, when the failure said so (Retry-After, a rate-limit slot). */
  retryAfterMs?: number;
}

/** Base of the taxonomy: a failure with a stable code. Subclass one of the three kinds, not this. */
export abstract class ClassifiedError extends Error {
  readonly code: string;

  protected constructor(message: string, code: string, cause: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
  }
}

/** A failure that may go away: redelivered with backoff, spending one attempt. */
export class RetryableError extends ClassifiedError {
  override readonly name: string = 'RetryableError';
  readonly retryAfterMs?: number;

  constructor(message: string, opts: RetryOptions = {}) {
    super(message, opts.code ?? 'RETRYABLE', opts.cause);
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Waiting on infrastructure: retried with backoff without spending the retry budget. */
export class WaitError extends RetryableError {
  override readonly name: string = 'WaitError';

  constructor(message: string, opts: RetryOptions = {}) {
    super(message, { ...opts, code: opts.code ?? 'WAIT' });
  }
}

/** NATS is not reachable, or JetStream did not acknowledge a publish (e.g. the next stream is full). */
export class BusUnavailableError extends WaitError {
  override readonly name: string = 'BusUnavailableError';

  constructor(message: string, opts: Omit<RetryOptions, 'code'> = {}) {
    super(message, { ...opts, code: 'BUS_UNAVAILABLE' });
  }
}

/** A failure retrying cannot fix: dead-lettered now. */
export class PermanentError extends ClassifiedError {
  override readonly name: string = 'PermanentError';

  constructor(message: string, opts: FailureOptions = {}) {
    super(message, opts.code ?? 'PERMANENT', opts.cause);
  }
}

/** A message that cannot fit the server's `max_payload`, even alone. */
export class MessageTooLargeError extends PermanentError {
  override readonly name: string = 'MessageTooLargeError';

  constructor(message: string) {
    super(message, { code: 'MESSAGE_TOO_LARGE' });
  }
}

/** A destination of a partial failure, secret-free, with the vendor's reason. */
export interface FailedDestination {
  destination: string;
  error: string;
  /** Recipient ids the vendor rejected while accepting the others. */
  invalid?: readonly string[];
}

/** Some destinations got the message, the others were rejected for good. */
export class PartialFailureError extends PermanentError {
  override readonly name: string = 'PartialFailureError';
  /** Destinations (secret-free) that were delivered. */
  readonly delivered: readonly string[];
  readonly failed: readonly FailedDestination[];

  constructor(message: string, opts: FailureOptions & { delivered: readonly string[]; failed: readonly FailedDestination[] }) {
    super(message, opts);
    this.delivered = opts.delivered;
    this.failed = opts.failed;
  }
}

export type FailureKind = 'retryable' | 'permanent' | 'wait';

/** What a consume loop acts on. */
export interface Classified {
  kind: FailureKind;
  code: string;
  message: string;
  retryAfterMs?: number;
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  const message = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(err);
}

/**
 * The one classification: by class. An error outside the taxonomy is retryable, with its own
 * string `code` (a Node or library error code such as `ECONNRESET`) or `fallbackCode`.
 */
export function classifyError(err: unknown, fallbackCode = 'ERROR'): Classified {
  const message = errorMessage(err);
  if (err instanceof PermanentError) return { kind: 'permanent', code: err.code, message };
  if (err instanceof RetryableError) {
    const kind = err instanceof WaitError ? 'wait' : 'retryable';
    return err.retryAfterMs === undefined ? { kind, code: err.code, message } : { kind, code: err.code, message, retryAfterMs: err.retryAfterMs };
  }
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return { kind: 'retryable', code: typeof code === 'string' && code !== '' ? code : fallbackCode, message };
}
