import { z } from 'zod';
import { parseDuration } from '@nm/model';
import { DEFAULT_INGEST_LIMITS } from './alert.normalize.js';
import type { IngestOptions } from './service.js';

/** A Go-style duration (`30s`, `5m`, `1h30m`, `0`) read as milliseconds. */
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `must be a duration such as 30s, 5m or 1h30m: ${(err as Error).message}` });
        return z.NEVER;
      }
    });

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Ingest's own environment (besides the common one and `NM_INGEST_PORT`), read by `apps/ingest`
 * and by `apps/standalone`.
 */
export const IngestEnvSchema = z.object({
  NM_INGEST_MAX_BODY_BYTES: positiveInt(16 * 1024 * 1024),
  NM_INGEST_MAX_ALERTS: positiveInt(DEFAULT_INGEST_LIMITS.maxAlerts),
  NM_INGEST_MAX_LABELS: positiveInt(DEFAULT_INGEST_LIMITS.maxLabels),
  NM_INGEST_MAX_LABEL_NAME_BYTES: positiveInt(DEFAULT_INGEST_LIMITS.maxLabelNameBytes),
  NM_INGEST_MAX_LABEL_VALUE_BYTES: positiveInt(DEFAULT_INGEST_LIMITS.maxLabelValueBytes),
  NM_INGEST_MAX_ANNOTATION_VALUE_BYTES: positiveInt(DEFAULT_INGEST_LIMITS.maxAnnotationValueBytes),
  NM_INGEST_MAX_ANNOTATIONS_BYTES: positiveInt(DEFAULT_INGEST_LIMITS.maxAnnotationsBytes),
  NM_INGEST_DEDUP_WINDOW: duration('30s'),
  NM_INGEST_IDEMPOTENCY_TTL: duration('24h'),
  NM_INGEST_HIGH_WATER: z.coerce.number().gt(0, 'must be above 0').lte(1, 'must be at most 1').default(0.9),
  NM_INGEST_RETRY_AFTER: duration('5s').refine((ms) => ms >= 1000, 'must be at least 1s'),
});
export type IngestEnv = z.infer<typeof IngestEnvSchema>;

/** The options of `startIngest` that come from the environment. */
export type IngestEnvOptions = Required<
  Pick<IngestOptions, 'maxBodyBytes' | 'limits' | 'dedupWindowMs' | 'idempotencyTtlMs' | 'highWater' | 'retryAfterSeconds'>
>;

export function ingestOptionsFromEnv(env: IngestEnv): IngestEnvOptions {
  return {
    maxBodyBytes: env.NM_INGEST_MAX_BODY_BYTES,
    limits: {
      maxAlerts: env.NM_INGEST_MAX_ALERTS,
      maxLabels: env.NM_INGEST_MAX_LABELS,
      maxLabelNameBytes: env.NM_INGEST_MAX_LABEL_NAME_BYTES,
      maxLabelValueBytes: env.NM_INGEST_MAX_LABEL_VALUE_BYTES,
      maxAnnotationValueBytes: env.NM_INGEST_MAX_ANNOTATION_VALUE_BYTES,
      maxAnnotationsBytes: env.NM_INGEST_MAX_ANNOTATIONS_BYTES,
    },
    dedupWindowMs: env.NM_INGEST_DEDUP_WINDOW,
    idempotencyTtlMs: env.NM_INGEST_IDEMPOTENCY_TTL,
    highWater: env.NM_INGEST_HIGH_WATER,
    retryAfterSeconds: Math.ceil(env.NM_INGEST_RETRY_AFTER / 1000),
  };
}
