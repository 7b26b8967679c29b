import { z } from 'zod';
import { parseEnv, runMain, createLogger } from '@nm/telemetry';
import { CommonEnvSchema, PortSchema, onShutdown } from '@nm/service-kit';
import { IngestEnvSchema, ingestOptionsFromEnv } from '@nm/ingest';
import { startStandalone } from './standalone.js';

const Env = CommonEnvSchema.extend({
  ...IngestEnvSchema.shape,
  NM_INGEST_PORT: PortSchema.default(19093),
  NM_INGEST_HOST: z.string().default('0.0.0.0'),
  NM_CONFIG_DIR: z.string().optional(),
  NM_TENANT_SIDECAR_URL: z.url().optional(),
});

runMain('standalone', async () => {
  const env = parseEnv(Env);
  const starting = startStandalone({
    natsUrl: env.NATS_URL,
    redisUrl: env.REDIS_URL,
    secretKey: env.NM_SECRET_KEY,
    logLevel: env.LOG_LEVEL,
    ingestPort: env.NM_INGEST_PORT,
    ingestHost: env.NM_INGEST_HOST,
    ingest: ingestOptionsFromEnv(env),
    ...(env.NM_CONFIG_DIR ? { configDir: env.NM_CONFIG_DIR } : {}),
    ...(env.NM_TENANT_SIDECAR_URL ? { tenantSidecarUrl: env.NM_TENANT_SIDECAR_URL } : {}),
  });
  // Registered before start-up completes: a signal while services start still drains them.
  onShutdown(createLogger('standalone', env.LOG_LEVEL), async () => {
    const app = await starting.catch(() => undefined);
    await app?.stop();
  });
  await starting;
});
