import { z } from 'zod';
import { channelBaseUrlsFromEnv } from '@nm/channels';
import { CommonEnvSchema, createRuntime, onShutdown } from '@nm/service-kit';
import { parseEnv, runMain, startHealthServer } from '@nm/telemetry';
import { startFeishuSender } from './service.js';

const Env = CommonEnvSchema.extend({
  /** Deliveries of one notification before it is dead-lettered; 0 = unlimited. */
  NM_SENDER_MAX_ATTEMPTS: z.coerce.number().int().min(0).default(12),
  NM_SENDER_CONCURRENCY: z.coerce.number().int().min(1).default(16),
});

runMain('sender-feishu', async () => {
  const env = parseEnv(Env);
  const { feishuApiUrl } = channelBaseUrlsFromEnv(process.env);
  const rt = createRuntime({
    service: 'sender-feishu',
    natsUrl: env.NATS_URL,
    redisUrl: env.REDIS_URL,
    secretKey: env.NM_SECRET_KEY,
    logLevel: env.LOG_LEVEL,
  });
  const health = await startHealthServer({ port: env.NM_HEALTH_PORT, host: env.NM_HEALTH_HOST, health: rt.health, metrics: rt.metrics });
  // rt.close() stops the sender first (stop consuming, wait for in-flight notifications).
  onShutdown(rt.logger, async () => {
    await rt.close();
    await health.close();
  });
  // Waits for NATS; the health server already answers meanwhile (not ready until connected).
  await startFeishuSender(rt, { maxAttempts: env.NM_SENDER_MAX_ATTEMPTS, concurrency: env.NM_SENDER_CONCURRENCY, apiUrl: feishuApiUrl });
});
