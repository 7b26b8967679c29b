import { z } from 'zod';
import { parseEnv, runMain, startHealthServer } from '@nm/telemetry';
import { CommonEnvSchema, createRuntime, onShutdown } from '@nm/service-kit';
import { startSilencer } from './service.js';

const Env = CommonEnvSchema.extend({
  NM_INHIBIT_SOURCE_TTL_SECONDS: z.coerce.number().int().positive().default(86400),
});

runMain('silencer', async () => {
  const env = parseEnv(Env);
  const rt = createRuntime({ service: 'silencer', natsUrl: env.NATS_URL, redisUrl: env.REDIS_URL, secretKey: env.NM_SECRET_KEY, logLevel: env.LOG_LEVEL });
  const health = await startHealthServer({ port: env.NM_HEALTH_PORT, host: env.NM_HEALTH_HOST, health: rt.health, metrics: rt.metrics });
  const svc = await startSilencer(rt, { inhibitSourceTtlMs: env.NM_INHIBIT_SOURCE_TTL_SECONDS * 1000 });
  onShutdown(rt.logger, async () => {
    await svc.stop();
    await rt.close();
    await health.close();
  });
});
