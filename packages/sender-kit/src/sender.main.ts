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
