/**
 * A sender app is a service definition: `sender-<channel>`, the variables its channel reads (an
 * API base URL, say), and the `ChannelSender` and `targetOf` it builds from them. `runService`
 * (its own process) and `apps/standalone` (every service in one) start it the same way.
 */
import { z } from 'zod';
import { RedisRateLimiter, RedisTokenCache, type RateLimiter, type TokenCache } from '@nm/channels';
import type { Channel } from '@nm/contracts';
import type { Runtime, ServiceDefinition } from '@nm/service-kit';
import { SENDER_DEFAULTS, startSender } from './sender.runner.js';
import type { SenderServiceOptions, SenderSpec } from './sender.types.js';
import { setupSenderTransport } from './transport.setup.js';

/** What every sender service reads. */
export const SenderEnvSchema = z.object({
  /** Attempts of one notification before it is dead-lettered; 0 = unlimited. */
  NM_SENDER_MAX_ATTEMPTS: z.coerce.number().int().min(0).default(SENDER_DEFAULTS.maxAttempts),
  /** Notifications delivered at once per replica; unset: the channel's default (`SenderApp.concurrency`, else 32). */
  NM_SENDER_CONCURRENCY: z.coerce.number().int().min(1).optional(),
  /**
   * At most this many at once while ingest on the same thread took a request in the last 200 ms
   * (the single process's main thread); unset: NM_SENDER_CONCURRENCY always.
   */
  NM_SENDER_CONCURRENCY_BESIDE_INGEST: z.coerce.number().int().min(1).optional(),
});
export type SenderEnv = z.infer<typeof SenderEnvSchema>;

/** The options of one sender from its variables; `defaultConcurrency` when NM_SENDER_CONCURRENCY is unset. */
export function senderOptionsFromEnv(env: SenderEnv, defaultConcurrency: number = SENDER_DEFAULTS.concurrency): SenderServiceOptions {
  return {
    maxAttempts: env.NM_SENDER_MAX_ATTEMPTS,
    concurrency: env.NM_SENDER_CONCURRENCY ?? defaultConcurrency,
    ...(env.NM_SENDER_CONCURRENCY_BESIDE_INGEST === undefined ? {} : { concurrencyBesideIngest: env.NM_SENDER_CONCURRENCY_BESIDE_INGEST }),
  };
}

export interface SenderApp<S extends z.ZodObject, Target> {
  channel: Channel;
  /**
   * Notifications delivered at once per replica unless NM_SENDER_CONCURRENCY says otherwise
   * (default `SENDER_DEFAULTS.concurrency`): lower for upstreams that limit connections per client.
   */
  concurrency?: number;
  /** The channel's own variables (default none). */
  env?: S;
  /** The sender and how a job becomes its target, from the parsed variables. */
  spec: (env: z.infer<S>, rt: Runtime) => SenderSpec<Target>;
}

/** The service of a sender app: reads `SenderEnvSchema` and `app.env`, delivers through `app.spec`. */
export function senderService<S extends z.ZodObject, Target>(app: SenderApp<S, Target>): ServiceDefinition {
  const name = `sender-${app.channel}`;
  return {
    name,
    env: app.env ? SenderEnvSchema.extend(app.env.shape) : SenderEnvSchema,
    start: (rt, env) => {
      // before the sender (and its http client) is built: the guard, the caps, their metrics
      setupSenderTransport(rt, app.channel);
      const spec = app.spec(env as z.infer<S>, rt);
      if (spec.sender.channel !== app.channel) throw new Error(`${name}: its sender delivers ${spec.sender.channel}`);
      return startSender(rt, spec, senderOptionsFromEnv(env as SenderEnv, app.concurrency));
    },
  };
}

/**
 * Access-token caches and rate-limit windows in Redis, so every replica of a sender shares them.
 * Tokens are sealed with the runtime's SecretBox (`NM_SECRET_KEY`); keys derived from credentials
 * or webhook URLs are its HMAC ids.
 */
export function sharedPorts(rt: Runtime): { tokenCache: TokenCache; rateLimiter: RateLimiter } {
  const keyId = (material: string): string => rt.secretBox.keyId(material);
  return { tokenCache: new RedisTokenCache(rt.redis, { sealer: rt.secretBox }), rateLimiter: new RedisRateLimiter(rt.redis, { keyId }) };
}
