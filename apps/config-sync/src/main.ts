import { runMain, startHealthServer } from '@nm/telemetry';
import { createRuntime, onShutdown } from '@nm/service-kit';
import { parseConfigSyncEnv } from './config-sync.env.js';
import { loadKubeConfig } from './kubernetes/index.js';
import { startConfigSync } from './service.js';

runMain('config-sync', async () => {
  const env = parseConfigSyncEnv(process.env);
  const rt = createRuntime({ service: 'config-sync', natsUrl: env.NATS_URL, redisUrl: env.REDIS_URL, secretKey: env.NM_SECRET_KEY, previousSecretKeys: env.NM_SECRET_KEY_PREVIOUS, logLevel: env.LOG_LEVEL, readConfig: false });
  const health = await startHealthServer({ port: env.NM_HEALTH_PORT, host: env.NM_HEALTH_HOST, health: rt.health, metrics: rt.metrics });
  const kubernetes =
    env.source === 'kubernetes'
      ? {
          kubeConfig: loadKubeConfig(process.env),
          namespace: env.NM_NAMESPACE,
          lease: { name: env.NM_LEASE_NAME, durationMs: env.NM_LEASE_DURATION, renewMs: env.NM_LEASE_RENEW },
        }
      : undefined;
  const svc = await startConfigSync(rt, { configDir: env.NM_CONFIG_DIR, pollMs: env.NM_CONFIG_POLL_MS, kubernetes, clusterName: env.NM_CLUSTER_NAME });
  onShutdown(rt.logger, async () => {
    await svc.stop();
    await rt.close();
    await health.close();
  });
});
