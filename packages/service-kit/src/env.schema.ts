import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);

/** Variables every service reads. */
export const CommonEnvSchema = z.object({
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
  /** No default: a key shared by every install would protect nothing. */
  NM_SECRET_KEY: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required (no default): set it to a long random value, e.g. $(openssl rand -hex 32)' : undefined) })
    .min(16, 'must be at least 16 characters (it encrypts mirrored secrets)'),
  /** During a key rotation: the key(s) data in Redis may still be sealed with, comma-separated (docs/security.md). */
  NM_SECRET_KEY_PREVIOUS: z.string().optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Port of /-/healthy, /-/ready and /metrics for services without their own HTTP API. */
  NM_HEALTH_PORT: port.default(8080),
  NM_HEALTH_HOST: z.string().default('0.0.0.0'),
});
export type CommonEnv = z.infer<typeof CommonEnvSchema>;
export { port as PortSchema };
