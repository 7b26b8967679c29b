import { z } from 'zod';
import { PortSchema, runService } from '@nm/service-kit';
import { IngestEnvSchema, ingestOptionsFromEnv } from './ingest.env.js';
import { DEFAULT_READY_REQUIRES, startIngest } from './service.js';

runService({
  name: 'ingest',
  env: IngestEnvSchema.extend({
    NM_INGEST_PORT: PortSchema.default(19093),
    NM_READY_REQUIRES: z.string().default(DEFAULT_READY_REQUIRES.join(',')),
  }),
  // ingest serves /-/healthy, /-/ready and /metrics on its own port
  servesHealth: true,
  start: (rt, env) =>
    startIngest(rt, {
      ...ingestOptionsFromEnv(env),
      port: env.NM_INGEST_PORT,
      readyRequires: env.NM_READY_REQUIRES.split(',').map((s) => s.trim()).filter(Boolean),
    }),
});
