import { z } from 'zod';
import { parseEnv, runMain, startHealthServer } from '@nm/telemetry';
import { CommonEnvSchema, createRuntime, onShutdown } from '@nm/service-kit';
import { startRouter } from './service.js';

const Env = CommonEnvSchema.extend({
  NM_TENANT_SIDECAR_URL: z.url().optional(),
});

runMain('router', async () => {
  const env = parseEnv(Env);
  const rt = createRuntime({ service: 'router', natsUrl: env.NATS_URL, redisUrl: env.REDIS_URL, secretKey: env.NM_SECRET_KEY, logLevel: env.LOG_LEVEL });
  const health = await startHealthServer({ port: env.NM_HEALTH_PORT, host: env.NM_HEALTH_HOST, health: rt.health, metrics: rt.metrics });
  const svc = await startRouter(rt, env.NM_TENANT_SIDECAR_URL ? { tenantSidecarUrl: env.NM_TENANT_SIDECAR_URL } : {});
  onShutdown(rt.logger, async () => {
    await svc.stop();
    await rt.close();
    await health.close();
  });
});
