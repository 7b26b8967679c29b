import { describe, expect, it } from '@jest/globals';
import { parseEnv } from '@nm/telemetry';
import { DEFAULT_INGEST_LIMITS } from './alert.normalize.js';
import { IngestEnvSchema, ingestOptionsFromEnv } from './ingest.env.js';

describe('ingest environment', () => {
  it('defaults', () => {
    expect(ingestOptionsFromEnv(parseEnv(IngestEnvSchema, {}))).toEqual({
      maxBodyBytes: 16 * 1024 * 1024,
      limits: DEFAULT_INGEST_LIMITS,
      dedupWindowMs: 30_000,
      idempotencyTtlMs: 24 * 3600_000,
      highWater: 0.9,
      retryAfterSeconds: 5,
    });
  });

  it('reads every variable; durations in Go syntax, 0 disables', () => {
    const opts = ingestOptionsFromEnv(
      parseEnv(IngestEnvSchema, {
        NM_INGEST_MAX_BODY_BYTES: '1000',
        NM_INGEST_MAX_ALERTS: '10',
        NM_INGEST_MAX_LABELS: '5',
        NM_INGEST_MAX_LABEL_NAME_BYTES: '20',
        NM_INGEST_MAX_LABEL_VALUE_BYTES: '30',
        NM_INGEST_MAX_ANNOTATION_VALUE_BYTES: '40',
        NM_INGEST_MAX_ANNOTATIONS_BYTES: '50',
        NM_INGEST_DEDUP_WINDOW: '1h30m',
        NM_INGEST_IDEMPOTENCY_TTL: '0',
        NM_INGEST_HIGH_WATER: '0.75',
        NM_INGEST_RETRY_AFTER: '2500ms',
      }),
    );
    expect(opts).toEqual({
      maxBodyBytes: 1000,
      limits: { maxAlerts: 10, maxLabels: 5, maxLabelNameBytes: 20, maxLabelValueBytes: 30, maxAnnotationValueBytes: 40, maxAnnotationsBytes: 50 },
      dedupWindowMs: 90 * 60_000,
      idempotencyTtlMs: 0,
      highWater: 0.75,
      retryAfterSeconds: 3,
    });
  });

  it.each([
    ['NM_INGEST_DEDUP_WINDOW', '5 minutes', /NM_INGEST_DEDUP_WINDOW: must be a duration such as 30s/],
    ['NM_INGEST_HIGH_WATER', '1.5', /NM_INGEST_HIGH_WATER: must be at most 1/],
    ['NM_INGEST_HIGH_WATER', '0', /NM_INGEST_HIGH_WATER: must be above 0/],
    ['NM_INGEST_MAX_LABELS', 'many', /NM_INGEST_MAX_LABELS/],
    ['NM_INGEST_RETRY_AFTER', '100ms', /NM_INGEST_RETRY_AFTER: must be at least 1s/],
  ])('%s=%s is refused with one line naming it', (name, value, message) => {
    expect(() => parseEnv(IngestEnvSchema, { [name]: value })).toThrow(message);
  });
});
