import { z } from 'zod';
import { parseEnv, runMain } from '@nm/telemetry';
import { CommonEnvSchema, PortSchema, createRuntime, onShutdown } from '@nm/service-kit';
import { DEFAULT_READY_REQUIRES, startIngest } from './service.js';

const Env = CommonEnvSchema.extend({
  NM_INGEST_PORT: PortSchema.default(19093),
  NM_INGEST_MAX_BODY_BYTES: z.coerce.number().int().positive().default(16 * 1024 * 1024),
  NM_READY_REQUIRES: z.string().default(DEFAULT_READY_REQUIRES.join(',')),
});

runMain('ingest', async () => {
  const env = parseEnv(Env);
  const rt = createRuntime({ service: 'ingest', natsUrl: env.NATS_URL, redisUrl: env.REDIS_URL, secretKey: env.NM_SECRET_KEY, logLevel: env.LOG_LEVEL });
  const ingest = await startIngest(rt, {
    port: env.NM_INGEST_PORT,
    maxBodyBytes: env.NM_INGEST_MAX_BODY_BYTES,
    readyRequires: env.NM_READY_REQUIRES.split(',').map((s) => s.trim()).filter(Boolean),
  });
  onShutdown(rt.logger, async () => {
    await ingest.stop();
    await rt.close();
  });
});
