import type { AxiosInstance } from 'axios';
import type { Clock } from './clock.js';
import type { InlineRetryPolicy } from './delivery.runner.js';
import type { RateLimiter } from './rate.limiter.js';
import type { TokenCache } from './token.cache.js';

/** Ports every HTTP sender takes; all optional, with production defaults. */
export interface SenderOptions {
  /** axios instance (default: `createHttpClient({ timeoutMs })`). */
  http?: AxiosInstance;
  /** Per-request timeout when no `http` is given (default 10 s). */
  timeoutMs?: number;
  clock?: Clock;
  /** Inline retries of one unit within a send. */
  retry?: Partial<InlineRetryPolicy>;
  /** Destinations sent to concurrently (default 4). */
  concurrency?: number;
}

/** Senders that fetch access tokens. */
export interface TokenSenderOptions extends SenderOptions {
  /** Shared across replicas in production (`RedisTokenCache`); default in-memory. */
  tokenCache?: TokenCache;
}

/** Senders that throttle themselves. */
export interface RateLimitedSenderOptions extends SenderOptions {
  /** Shared across replicas in production (`RedisRateLimiter`); default in-memory. */
  rateLimiter?: RateLimiter;
}
