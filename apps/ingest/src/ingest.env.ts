import { z } from 'zod';
import { parseDuration } from '@nm/model';
import { PortSchema } from '@nm/service-kit';
import { EnvError } from '@nm/telemetry';
import { DEFAULT_INGEST_LIMITS } from './alert.normalize.js';
import type { IngestOptions, IngestSecurity } from './service.js';
import { parseTokenList, TokenListError } from './token.source.js';

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
  /** How long POST /api/v2/verify and /api/v2/notifications wait for the senders' outcome before answering 504. */
  NM_API_SEND_TIMEOUT: duration('30s').refine((ms) => ms >= 1000, 'must be at least 1s'),

  // --- security (docs/security.md)
  /** Bearer tokens POST /api/v2/alerts requires (comma-separated); unset with no file = open. */
  NM_INGEST_TOKENS: z.string().optional(),
  /** A file of more ingest tokens (one per line or comma-separated), re-read when it changes. */
  NM_INGEST_TOKENS_FILE: z.string().min(1).optional(),
  /** TLS on the ingest listener (PEM certificate and key); both or neither. */
  NM_INGEST_TLS_CERT_FILE: z.string().min(1).optional(),
  NM_INGEST_TLS_KEY_FILE: z.string().min(1).optional(),
  /** With TLS: clients must present a certificate signed by this CA (mTLS). */
  NM_INGEST_TLS_CLIENT_CA_FILE: z.string().min(1).optional(),
  /**
   * How the admin and read API authenticates: `token` (NM_ADMIN_TOKENS / NM_TENANT_TOKENS),
   * `kubernetes` (those, plus Kubernetes bearer tokens: TokenReview and SubjectAccessReview) or
   * `none` (open). Default: kubernetes when NM_CONFIG_SOURCE=kubernetes, else token.
   */
  NM_API_AUTH: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['token', 'kubernetes', 'none']).optional()),
  /** Read only to default NM_API_AUTH (config-sync's setting). */
  NM_CONFIG_SOURCE: z.enum(['directory', 'kubernetes']).optional(),
  /** Admin tokens (comma-separated): every API. */
  NM_ADMIN_TOKENS: z.string().optional(),
  NM_ADMIN_TOKENS_FILE: z.string().min(1).optional(),
  /** Tenant tokens, `<tenant>=<token>` comma-separated: that tenant's history and receivers. */
  NM_TENANT_TOKENS: z.string().optional(),
  NM_TENANT_TOKENS_FILE: z.string().min(1).optional(),
  /** Audiences a Kubernetes token must have been issued for (comma-separated; default the API server's). */
  NM_API_TOKEN_AUDIENCES: z.string().optional(),
  /** How long TokenReview and SubjectAccessReview answers are reused. */
  NM_API_AUTH_CACHE_TTL: duration('10s'),
  /** Serve the admin and read API on this port only; the ingest port keeps POST /api/v2/alerts and the probes. */
  NM_ADMIN_PORT: PortSchema.optional(),
  NM_ADMIN_HOST: z.string().min(1).optional(),
});
export type IngestEnv = z.infer<typeof IngestEnvSchema>;

/** The options of `startIngest` that come from the environment. */
export type IngestEnvOptions = Required<
  Pick<IngestOptions, 'maxBodyBytes' | 'limits' | 'dedupWindowMs' | 'idempotencyTtlMs' | 'highWater' | 'retryAfterSeconds' | 'security' | 'apiSendTimeoutMs'>
> &
  Pick<IngestOptions, 'adminPort' | 'adminHost'>;

const list = (v: string | undefined): string[] => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** The security settings of the environment; throws EnvError (one line, never a token) when they do not fit together. */
export function securityFromEnv(env: IngestEnv): IngestSecurity {
  const fail = (message: string): never => {
    throw new EnvError(`invalid environment: ${message}`);
  };
  const tokens = (name: string, v: string | undefined, withTenant = false) => {
    try {
      return parseTokenList(v ?? '', name, withTenant);
    } catch (err) {
      if (err instanceof TokenListError) return fail(err.message);
      throw err;
    }
  };
  const cert = env.NM_INGEST_TLS_CERT_FILE;
  const key = env.NM_INGEST_TLS_KEY_FILE;
  if (!cert !== !key) fail('NM_INGEST_TLS_CERT_FILE and NM_INGEST_TLS_KEY_FILE: set both or neither');
  if (env.NM_INGEST_TLS_CLIENT_CA_FILE && !cert) fail('NM_INGEST_TLS_CLIENT_CA_FILE: needs NM_INGEST_TLS_CERT_FILE and NM_INGEST_TLS_KEY_FILE (mTLS is TLS with client certificates)');
  const apiAuth = env.NM_API_AUTH ?? (env.NM_CONFIG_SOURCE === 'kubernetes' ? 'kubernetes' : 'token');
  const ingestTokens = tokens('NM_INGEST_TOKENS', env.NM_INGEST_TOKENS).map((e) => e.token);
  const adminTokens = tokens('NM_ADMIN_TOKENS', env.NM_ADMIN_TOKENS).map((e) => e.token);
  const tenantTokens = tokens('NM_TENANT_TOKENS', env.NM_TENANT_TOKENS, true).map((e) => ({ tenant: e.tenant!, token: e.token }));
  const audiences = list(env.NM_API_TOKEN_AUDIENCES);
  return {
    ...(ingestTokens.length > 0 ? { ingestTokens } : {}),
    ...(env.NM_INGEST_TOKENS_FILE ? { ingestTokensFile: env.NM_INGEST_TOKENS_FILE } : {}),
    ...(cert && key ? { tls: { certFile: cert, keyFile: key, ...(env.NM_INGEST_TLS_CLIENT_CA_FILE ? { clientCaFile: env.NM_INGEST_TLS_CLIENT_CA_FILE } : {}) } } : {}),
    apiAuth,
    ...(adminTokens.length > 0 ? { adminTokens } : {}),
    ...(env.NM_ADMIN_TOKENS_FILE ? { adminTokensFile: env.NM_ADMIN_TOKENS_FILE } : {}),
    ...(tenantTokens.length > 0 ? { tenantTokens } : {}),
    ...(env.NM_TENANT_TOKENS_FILE ? { tenantTokensFile: env.NM_TENANT_TOKENS_FILE } : {}),
    ...(audiences.length > 0 ? { tokenAudiences: audiences } : {}),
    authCacheTtlMs: env.NM_API_AUTH_CACHE_TTL,
  };
}

export function ingestOptionsFromEnv(env: IngestEnv): IngestEnvOptions {
  return {
    security: securityFromEnv(env),
    ...(env.NM_ADMIN_PORT !== undefined ? { adminPort: env.NM_ADMIN_PORT } : {}),
    ...(env.NM_ADMIN_HOST !== undefined ? { adminHost: env.NM_ADMIN_HOST } : {}),
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
    apiSendTimeoutMs: env.NM_API_SEND_TIMEOUT,
  };
}
