import { z } from 'zod';
import { CommonEnvSchema, createRuntime, onShutdown, type Runtime } from '@nm/service-kit';
import { parseEnv, runMain, startHealthServer } from '@nm/telemetry';
import { SENDER_DEFAULTS } from './sender.runner.js';

/** Environment of every sender service. */
export const SenderEnvSchema = CommonEnvSchema.extend({
  /** Deliveries of one notification before it is dead-lettered; 0 = unlimited. */
  NM_SENDER_MAX_ATTEMPTS: z.coerce.number().int().min(0).default(SENDER_DEFAULTS.maxAttempts),
  NM_SENDER_CONCURRENCY: z.coerce.number().int().min(1).default(SENDER_DEFAULTS.concurrency),
});
export type SenderEnv = z.infer<typeof SenderEnvSchema>;

/** Options every sender service accepts and passes to `startSender`. */
export interface SenderServiceOptions {
  /** Deliveries of one notification before a retryable failure is dead-lettered (default 12). */
  maxAttempts?: number;
  /** Notifications handled at once (default 16). */
  concurrency?: number;
  /** How long delivered notification ids are remembered (default 7 days). */
  deliveredTtlSeconds?: number;
  /** Backoff of retryable failures (defaults 500 ms doubling up to 60 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** The `startSender` options that come from {@link SenderServiceOptions}, defaults applied. */
export function senderKitOptions(opts: SenderServiceOptions): {
  maxAttempts: number;
  concurrency: number;
  deliveredTtlSeconds?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
} {
  return {
    maxAttempts: opts.maxAttempts ?? SENDER_DEFAULTS.maxAttempts,
    concurrency: opts.concurrency ?? SENDER_DEFAULTS.concurrency,
    ...(opts.deliveredTtlSeconds === undefined ? {} : { deliveredTtlSeconds: opts.deliveredTtlSeconds }),
    ...(opts.backoffBaseMs === undefined ? {} : { backoffBaseMs: opts.backoffBaseMs }),
    ...(opts.backoffMaxMs === undefined ? {} : { backoffMaxMs: opts.backoffMaxMs }),
  };
}

/**
 * The whole `main` of a sender service: parse env, build the runtime, serve health and metrics,
 * start the sender, stop cleanly on SIGTERM (rt.close() stops consuming and waits for in-flight
 * notifications).
 */
export function runSenderMain(service: string, start: (rt: Runtime, env: SenderEnv) => Promise<unknown>): void {
  runMain(service, async () => {
    const env = parseEnv(SenderEnvSchema);
    const rt = createRuntime({ service, natsUrl: env.NATS_URL, redisUrl: env.REDIS_URL, secretKey: env.NM_SECRET_KEY, logLevel: env.LOG_LEVEL });
    const health = await startHealthServer({ port: env.NM_HEALTH_PORT, host: env.NM_HEALTH_HOST, health: rt.health, metrics: rt.metrics });
    onShutdown(rt.logger, async () => {
      await rt.close();
      await health.close();
    });
    // Waits for NATS; the health server already answers meanwhile (not ready until connected).
    await start(rt, env);
  });
}
