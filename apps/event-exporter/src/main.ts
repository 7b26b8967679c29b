import { loadKubeConfig } from '@nm/kube';
import { CommonEnvSchema, createRuntime, onShutdown } from '@nm/service-kit';
import { parseEnv, runMain, startHealthServer } from '@nm/telemetry';
import { eventExporterOptionsFromEnv, EventExporterEnvSchema } from './event-exporter.env.js';
import { startEventExporter } from './service.js';

const Env = CommonEnvSchema.extend(EventExporterEnvSchema.shape);

runMain('event-exporter', async () => {
  const env = parseEnv(Env);
  const options = eventExporterOptionsFromEnv(env);
  const kubeConfig = loadKubeConfig(process.env);
  const rt = createRuntime({ service: 'event-exporter', natsUrl: env.NATS_URL, redisUrl: env.REDIS_URL, secretKey: env.NM_SECRET_KEY, logLevel: env.LOG_LEVEL });
  const health = await startHealthServer({ port: env.NM_HEALTH_PORT, host: env.NM_HEALTH_HOST, health: rt.health, metrics: rt.metrics });
  const exporter = startEventExporter(rt, { ...options, kubeConfig });
  onShutdown(rt.logger, async () => {
    await exporter.stop();
    await rt.close();
    await health.close();
  });
});
