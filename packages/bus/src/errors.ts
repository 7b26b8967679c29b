/**
 * The failure taxonomy is `@nm/errors` (one set of classes for every stage and channel); the bus
 * re-exports it for the stages and adds the backoff of its consume loop.
 */
export {
  BusUnavailableError,
  ClassifiedError,
  MessageTooLargeError,
  PermanentError,
  RetryableError,
  WaitError,
  classifyError,
} from '@nm/errors';
export type { Classified } from '@nm/errors';

/** Exponential backoff with ±20% jitter, capped. `attempt` starts at 1. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = exp * 0.2 * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(maxMs, exp + jitter)));
}
