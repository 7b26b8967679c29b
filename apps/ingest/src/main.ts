import { z } from 'zod';
import { parseEnv, runMain } from '@nm/telemetry';
import { CommonEnvSchema, PortSchema, createRuntime, onShutdown } from '@nm/service-kit';
import { IngestEnvSchema, ingestOptionsFromEnv } from './ingest.env.js';
import { DEFAULT_READY_REQUIRES, startIngest } from './service.js';

const Env = CommonEnvSchema.extend({
  ...IngestEnvSchema.shape,
  NM_INGEST_PORT: PortSchema.default(19093),
  NM_READY_REQUIRES: z.string().default(DEFAULT_READY_REQUIRES.join(',')),
});

runMain('ingest', async () => {
  const env = parseEnv(Env);
  const rt = createRuntime({ service: 'ingest', natsUrl: env.NATS_URL, redisUrl: env.REDIS_URL, secretKey: env.NM_SECRET_KEY, logLevel: env.LOG_LEVEL });
  const ingest = await startIngest(rt, {
    ...ingestOptionsFromEnv(env),
    port: env.NM_INGEST_PORT,
    readyRequires: env.NM_READY_REQUIRES.split(',').map((s) => s.trim()).filter(Boolean),
  });
  onShutdown(rt.logger, async () => {
    await ingest.stop();
    await rt.close();
  });
});
