import type { Channel } from '@nm/contracts';
import type { ChannelSender, OutgoingMessage, SendContext, SendResult } from './channel.types.js';
import { systemClock, type Clock } from './clock.js';
import { runUnits, type DeliveryUnit, type InlineRetryPolicy } from './delivery.runner.js';
import type { EgressConnector, EgressGuard } from './egress.js';
import { createHttpClient, type HttpClient } from './http.client.js';
import { MemoryRateLimiter, type RateLimiter } from './rate.limiter.js';
import { MemoryTokenCache, type TokenCache } from './token.cache.js';
import { VendorTokenClient, type TokenApi } from './vendor.token.client.js';

/** Ports every HTTP sender takes; all optional, with production defaults. */
export interface HttpSenderOptions {
  /** HTTP client (default: `createHttpClient({ timeoutMs })`). */
  http?: HttpClient;
  /** Per-request timeout when no `http` is given (default 10 s). */
  timeoutMs?: number;
  clock?: Clock;
  /** Inline retries of one unit within a send. */
  retry?: Partial<InlineRetryPolicy>;
  /** Destinations sent to concurrently (default 4). */
  concurrency?: number;
  /** The egress guard of the default http client (default: the process's). */
  egressGuard?: EgressGuard;
  /** Opens the connections the guard allowed (tests inject one). */
  connector?: EgressConnector;
}

/** Senders that fetch access tokens. */
export interface TokenSenderOptions extends HttpSenderOptions {
  /** Shared across replicas in production (`RedisTokenCache`); default in-memory. */
  tokenCache?: TokenCache;
}

/** Senders that throttle themselves. */
export interface RateLimitedSenderOptions extends HttpSenderOptions {
  /** Shared across replicas in production (`RedisRateLimiter`); default in-memory. */
  rateLimiter?: RateLimiter;
}

/** What every HTTP channel sender shares: its HTTP client and clock, and how it runs its units. */
export abstract class HttpChannelSender<Target, O extends HttpSenderOptions = HttpSenderOptions> implements ChannelSender<Target> {
  abstract readonly channel: Channel;
  protected readonly http: HttpClient;
  protected readonly clock: Clock;

  protected constructor(protected readonly opts: O) {
    this.http =
      opts.http ??
      createHttpClient({
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
        ...(opts.egressGuard ? { egressGuard: opts.egressGuard } : {}),
        ...(opts.connector ? { connector: opts.connector } : {}),
      });
    this.clock = opts.clock ?? systemClock;
  }

  abstract send(target: Target, message: OutgoingMessage, ctx?: SendContext): Promise<SendResult>;

  /** Runs the units of one send with the sender's clock, inline retry policy and concurrency. */
  protected run(units: readonly DeliveryUnit[], ctx: SendContext, retry: Partial<InlineRetryPolicy> | undefined = this.opts.retry): Promise<SendResult> {
    return runUnits(this.channel, units, ctx, {
      clock: this.clock,
      ...(retry ? { retry } : {}),
      ...(this.opts.concurrency ? { concurrency: this.opts.concurrency } : {}),
    });
  }

}

/**
 * Senders of vendors whose apps authenticate with access tokens (WeCom, DingTalk, Feishu): a rate
 * limiter (their robots are throttled) and the one token client of the vendor's API.
 */
export abstract class TokenChannelSender<Target, B, O extends TokenSenderOptions & RateLimitedSenderOptions> extends HttpChannelSender<Target, O> {
  protected readonly limiter: RateLimiter;
  protected readonly tokens: VendorTokenClient<B>;

  protected constructor(opts: O, api: TokenApi<B>) {
    super(opts);
    this.limiter = opts.rateLimiter ?? new MemoryRateLimiter(this.clock);
    this.tokens = new VendorTokenClient(this.http, opts.tokenCache ?? new MemoryTokenCache({ clock: this.clock }), api);
  }
}
