import { z } from 'zod';
import { parseEnv, runMain, startHealthServer } from '@nm/telemetry';
import { CommonEnvSchema, createRuntime, onShutdown } from '@nm/service-kit';
import { startConfigSync } from './service.js';

const Env = CommonEnvSchema.extend({
  NM_CONFIG_DIR: z.string().min(1, 'directory of manifests to mirror (directory mode)'),
  NM_CONFIG_POLL_MS: z.coerce.number().int().positive().default(1000),
});

runMain('config-sync', async () => {
  const env = parseEnv(Env);
  const rt = createRuntime({ service: 'config-sync', natsUrl: env.NATS_URL, redisUrl: env.REDIS_URL, secretKey: env.NM_SECRET_KEY, logLevel: env.LOG_LEVEL, readConfig: false });
  const health = await startHealthServer({ port: env.NM_HEALTH_PORT, host: env.NM_HEALTH_HOST, health: rt.health, metrics: rt.metrics });
  const svc = await startConfigSync(rt, { configDir: env.NM_CONFIG_DIR, pollMs: env.NM_CONFIG_POLL_MS });
  onShutdown(rt.logger, async () => {
    await svc.stop();
    await rt.close();
    await health.close();
  });
});
