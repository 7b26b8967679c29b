import { parseEnv, runMain, startHealthServer } from '@nm/telemetry';
import { CommonEnvSchema, createRuntime, onShutdown } from '@nm/service-kit';
import { aggregatorOptionsFromEnv, startAggregator } from './service.js';

runMain('aggregator', async () => {
  const env = parseEnv(CommonEnvSchema);
  const options = aggregatorOptionsFromEnv();
  const rt = createRuntime({ service: 'aggregator', natsUrl: env.NATS_URL, redisUrl: env.REDIS_URL, secretKey: env.NM_SECRET_KEY, previousSecretKeys: env.NM_SECRET_KEY_PREVIOUS, logLevel: env.LOG_LEVEL });
  const health = await startHealthServer({ port: env.NM_HEALTH_PORT, host: env.NM_HEALTH_HOST, health: rt.health, metrics: rt.metrics });
  const svc = await startAggregator(rt, options);
  onShutdown(rt.logger, async () => {
    await svc.stop();
    await rt.close();
    await health.close();
  });
});
