/**
 * Runs the units of one send (destination × chunk) and folds their outcomes into a SendResult.
 *
 * Units of one destination run in chunk order; destinations run concurrently. A retryable failure
 * is retried inline while the wait it asks for is short; otherwise it is reported, and the later
 * chunks of that destination are not attempted (so order is kept on redelivery). Units named in
 * `ctx.deliveredKeys` are reported as `duplicate` without being sent again.
 */
import type { Channel } from '@nm/contracts';
import { PartialFailureError, PermanentError, RetryableError, WaitError, type ClassifiedError, type RetryOptions } from '@nm/errors';
import { classifyHttpError } from './channel.errors.js';
import type { DeliveryOutcome, SendContext, SendResult } from './channel.types.js';
import { systemClock, type Clock } from './clock.js';
import type { MessageChunk } from './message.splitter.js';

export interface InlineRetryPolicy {
  /** Attempts per unit within one send (1 = no inline retry; redelivery does the rest). */
  attempts: number;
  /** Backoff before the n-th retry: base × 2^(n-1), unless the vendor named a wait. */
  baseDelayMs: number;
  /** Waits longer than this are not done inline: the error goes back to the bus. */
  maxDelayMs: number;
}

export const DEFAULT_INLINE_RETRY: InlineRetryPolicy = { attempts: 2, baseDelayMs: 1000, maxDelayMs: 5000 };

export interface UnitSuccess {
  upstreamMessageId?: string;
  /** Recipients the vendor refused while accepting the others. */
  invalid?: readonly string[];
}

export interface DeliveryUnit {
  key: string;
  destination: string;
  /** Units sharing a group run sequentially in array order. */
  group: string;
  chunk: { index: number; count: number };
  alertIds: readonly string[];
  truncatedBytes?: number;
  run(): Promise<UnitSuccess>;
}

export interface RunOptions {
  clock?: Clock;
  retry?: Partial<InlineRetryPolicy>;
  /** Destinations sent to at the same time (default 4). */
  concurrency?: number;
}

/** One unit per (destination, chunk), keyed `<destinationKey>#<chunk index>/<chunk count>`. */
export function unitsFor<D>(
  destinations: readonly D[],
  chunks: readonly MessageChunk[],
  describe: (d: D) => { key: string; label: string },
  run: (d: D, chunk: MessageChunk) => Promise<UnitSuccess>,
): DeliveryUnit[] {
  return destinations.flatMap((d) => {
    const { key, label } = describe(d);
    return chunks.map((chunk, index) => ({
      key: `${key}#${index}/${chunks.length}`,
      destination: label,
      group: key,
      chunk: { index, count: chunks.length },
      alertIds: chunk.alertIds,
      ...(chunk.truncatedBytes ? { truncatedBytes: chunk.truncatedBytes } : {}),
      run: () => run(d, chunk),
    }));
  });
}

export async function runUnits(
  channel: Channel,
  units: readonly DeliveryUnit[],
  ctx: SendContext = {},
  opts: RunOptions = {},
): Promise<SendResult> {
  if (units.length === 0) throw new PermanentError(`${channel}: the target has no destination`, { code: `${channel}:no-destination` });
  const clock = opts.clock ?? systemClock;
  const policy = { ...DEFAULT_INLINE_RETRY, ...opts.retry };
  const outcomes = new Map<DeliveryUnit, DeliveryOutcome>();
  const groups = new Map<string, DeliveryUnit[]>();
  for (const u of units) groups.set(u.group, [...(groups.get(u.group) ?? []), u]);

  const runGroup = async (group: DeliveryUnit[]): Promise<void> => {
    let blocker: RetryableError | undefined;
    for (const unit of group) {
      if (ctx.signal?.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted');
      const base = baseOutcome(unit);
      if (ctx.deliveredKeys?.has(unit.key)) {
        outcomes.set(unit, { ...base, status: 'duplicate', attempts: 0 });
        continue;
      }
      if (blocker) {
        const error = retryLike(blocker, `not attempted: an earlier chunk failed (${blocker.message})`, {
          code: `${channel}:not-attempted`,
          cause: blocker,
          ...(blocker.retryAfterMs !== undefined ? { retryAfterMs: blocker.retryAfterMs } : {}),
        });
        outcomes.set(unit, { ...base, status: 'failed', error, attempts: 0 });
        continue;
      }
      const outcome = await attemptUnit(channel, unit, policy, clock, ctx.signal);
      outcomes.set(unit, outcome);
      if (outcome.status === 'failed' && outcome.error instanceof RetryableError) blocker = outcome.error;
    }
  };

  const queue = [...groups.values()];
  const workers = Array.from({ length: Math.min(opts.concurrency ?? 4, queue.length) }, async () => {
    for (let g = queue.shift(); g; g = queue.shift()) await runGroup(g);
  });
  await Promise.all(workers);
  const list = units.map((u) => outcomes.get(u) ?? { ...baseOutcome(u), status: 'failed' as const, attempts: 0 });
  return { channel, status: overallStatus(list), outcomes: list };
}

function baseOutcome(unit: DeliveryUnit): Omit<DeliveryOutcome, 'status' | 'attempts'> {
  return {
    key: unit.key,
    destination: unit.destination,
    chunk: unit.chunk,
    alertIds: unit.alertIds,
    ...(unit.truncatedBytes ? { truncatedBytes: unit.truncatedBytes } : {}),
  };
}

async function attemptUnit(
  channel: Channel,
  unit: DeliveryUnit,
  policy: InlineRetryPolicy,
  clock: Clock,
  signal?: AbortSignal,
): Promise<DeliveryOutcome> {
  const base = baseOutcome(unit);
  for (let attempt = 1; ; attempt++) {
    try {
      const ok = await unit.run();
      const id = ok.upstreamMessageId ? { upstreamMessageId: ok.upstreamMessageId } : {};
      if (ok.invalid && ok.invalid.length > 0) {
        const error = new PermanentError(`${channel}: recipients rejected: ${ok.invalid.join(', ')}`, {
          code: `${channel}:invalid-recipients`,
        });
        return { ...base, ...id, status: 'partial', invalid: ok.invalid, error, attempts: attempt };
      }
      return { ...base, ...id, status: 'delivered', attempts: attempt };
    } catch (err) {
      if (signal?.aborted) throw err;
      const error = classifyHttpError(err, channel);
      const wait = error instanceof RetryableError ? (error.retryAfterMs ?? policy.baseDelayMs * 2 ** (attempt - 1)) : undefined;
      if (wait === undefined || attempt >= policy.attempts || wait > policy.maxDelayMs) {
        return { ...base, status: 'failed', error, attempts: attempt };
      }
      await clock.sleep(wait, signal);
    }
  }
}

function overallStatus(outcomes: readonly DeliveryOutcome[]): SendResult['status'] {
  if (outcomes.every((o) => o.status === 'duplicate')) return 'duplicate';
  if (outcomes.every((o) => o.status === 'delivered' || o.status === 'duplicate')) return 'delivered';
  if (outcomes.some((o) => o.status === 'delivered' || o.status === 'duplicate' || o.status === 'partial')) return 'partial';
  return 'failed';
}

/** A retryable error of the same kind as `like`: a wait stays a wait (it spends no attempt). */
function retryLike(like: RetryableError, message: string, opts: RetryOptions): RetryableError {
  return like instanceof WaitError ? new WaitError(message, opts) : new RetryableError(message, opts);
}

/**
 * The one error a send comes to, or undefined when everything was delivered. Its message says how
 * many units failed and why the first did (`<channel>: 1 of 2 unit(s) failed: <reason>`), its
 * code is that failure's:
 * - any retryable failure → `RetryableError` (the longest `retryAfterMs`), a `WaitError` when each
 *   of them was a wait; redeliver with the delivered unit keys so only the failed units are sent
 *   again;
 * - otherwise, some delivered and some rejected → `PartialFailureError`;
 * - otherwise → `PermanentError`.
 */
export function failureOf(result: SendResult): ClassifiedError | undefined {
  const bad = result.outcomes.filter((o) => o.status === 'failed' || o.status === 'partial');
  if (bad.length === 0) return undefined;
  const total = result.outcomes.length;
  // an outcome without a reason is an unknown failure: retried, so the budget and the DLQ decide
  const errors = bad.map((o) => o.error ?? new RetryableError('no reason given', { code: `${result.channel}:failed` }));
  const retryable = errors.filter((e): e is RetryableError => e instanceof RetryableError);
  if (retryable.length > 0) {
    const first = retryable[0]!;
    const waits = retryable.map((e) => e.retryAfterMs).filter((w): w is number => w !== undefined);
    const opts = { code: first.code, cause: first, ...(waits.length > 0 ? { retryAfterMs: Math.max(...waits) } : {}) };
    const message = `${result.channel}: ${retryable.length} of ${total} unit(s) failed: ${first.message}`;
    return retryable.every((e) => e instanceof WaitError) ? new WaitError(message, opts) : new RetryableError(message, opts);
  }
  const first = errors[0]!;
  const message = `${result.channel}: ${bad.length} of ${total} unit(s) failed: ${first.message}`;
  const delivered = result.outcomes.filter((o) => o.status !== 'failed');
  if (delivered.length === 0) return new PermanentError(message, { code: first.code, cause: first });
  return new PartialFailureError(message, {
    code: first.code,
    cause: first,
    delivered: delivered.filter((o) => o.status !== 'partial').map((o) => o.destination),
    failed: bad.map((o) => ({
      destination: o.destination,
      error: o.error?.message ?? 'failed',
      ...(o.invalid ? { invalid: o.invalid } : {}),
    })),
  });
}

/** Keys of the units that reached the vendor (delivered, partial or earlier): skip them on redelivery. */
export function deliveredKeysOf(result: SendResult, previous?: ReadonlySet<string>): Set<string> {
  const keys = new Set(previous);
  for (const o of result.outcomes) if (o.status !== 'failed') keys.add(o.key);
  return keys;
}
