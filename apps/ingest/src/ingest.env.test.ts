import { describe, expect, it } from '@jest/globals';
import { parseEnv } from '@nm/telemetry';
import { DEFAULT_INGEST_LIMITS } from './alert.normalize.js';
import { IngestEnvSchema, ingestOptionsFromEnv, securityFromEnv } from './ingest.env.js';

describe('ingest environment', () => {
  it('defaults', () => {
    expect(ingestOptionsFromEnv(parseEnv(IngestEnvSchema, {}))).toEqual({
      maxBodyBytes: 16 * 1024 * 1024,
      limits: DEFAULT_INGEST_LIMITS,
      dedupWindowMs: 30_000,
      idempotencyTtlMs: 24 * 3600_000,
      highWater: 0.9,
      retryAfterSeconds: 5,
      apiSendTimeoutMs: 30_000,
      security: { apiAuth: 'token', authCacheTtlMs: 10_000 },
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
        NM_API_SEND_TIMEOUT: '45s',
      }),
    );
    expect(opts).toEqual({
      maxBodyBytes: 1000,
      limits: { maxAlerts: 10, maxLabels: 5, maxLabelNameBytes: 20, maxLabelValueBytes: 30, maxAnnotationValueBytes: 40, maxAnnotationsBytes: 50 },
      dedupWindowMs: 90 * 60_000,
      idempotencyTtlMs: 0,
      highWater: 0.75,
      retryAfterSeconds: 3,
      apiSendTimeoutMs: 45_000,
      security: { apiAuth: 'token', authCacheTtlMs: 10_000 },
    });
  });

  it.each([
    ['NM_INGEST_DEDUP_WINDOW', '5 minutes', /NM_INGEST_DEDUP_WINDOW: must be a duration such as 30s/],
    ['NM_INGEST_HIGH_WATER', '1.5', /NM_INGEST_HIGH_WATER: must be at most 1/],
    ['NM_INGEST_HIGH_WATER', '0', /NM_INGEST_HIGH_WATER: must be above 0/],
    ['NM_INGEST_MAX_LABELS', 'many', /NM_INGEST_MAX_LABELS/],
    ['NM_INGEST_RETRY_AFTER', '100ms', /NM_INGEST_RETRY_AFTER: must be at least 1s/],
    ['NM_API_SEND_TIMEOUT', '500ms', /NM_API_SEND_TIMEOUT: must be at least 1s/],
  ])('%s=%s is refused with one line naming it', (name, value, message) => {
    expect(() => parseEnv(IngestEnvSchema, { [name]: value })).toThrow(message);
  });

  describe('security', () => {
    const security = (env: Record<string, string>) => securityFromEnv(parseEnv(IngestEnvSchema, env));

    it('reads tokens, files, TLS, the API mode and the admin listener', () => {
      const env = {
        NM_INGEST_TOKENS: 'in-1, in-2',
        NM_INGEST_TOKENS_FILE: '/run/secrets/ingest',
        NM_INGEST_TLS_CERT_FILE: '/tls/tls.crt',
        NM_INGEST_TLS_KEY_FILE: '/tls/tls.key',
        NM_INGEST_TLS_CLIENT_CA_FILE: '/tls/ca.crt',
        NM_API_AUTH: 'kubernetes',
        NM_ADMIN_TOKENS: 'adm',
        NM_ADMIN_TOKENS_FILE: '/run/secrets/admin',
        NM_TENANT_TOKENS: 'team-a=ta,alice=tb==',
        NM_TENANT_TOKENS_FILE: '/run/secrets/tenants',
        NM_API_TOKEN_AUDIENCES: 'notification-manager, https://kubernetes.default.svc',
        NM_API_AUTH_CACHE_TTL: '30s',
        NM_ADMIN_PORT: '19094',
        NM_ADMIN_HOST: '127.0.0.1',
      };
      const opts = ingestOptionsFromEnv(parseEnv(IngestEnvSchema, env));
      expect(opts.adminPort).toBe(19094);
      expect(opts.adminHost).toBe('127.0.0.1');
      expect(opts.security).toEqual({
        ingestTokens: ['in-1', 'in-2'],
        ingestTokensFile: '/run/secrets/ingest',
        tls: { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key', clientCaFile: '/tls/ca.crt' },
        apiAuth: 'kubernetes',
        adminTokens: ['adm'],
        adminTokensFile: '/run/secrets/admin',
        tenantTokens: [
          { tenant: 'team-a', token: 'ta' },
          { tenant: 'alice', token: 'tb==' },
        ],
        tenantTokensFile: '/run/secrets/tenants',
        tokenAudiences: ['notification-manager', 'https://kubernetes.default.svc'],
        authCacheTtlMs: 30_000,
      });
    });

    it('NM_API_AUTH defaults to kubernetes with NM_CONFIG_SOURCE=kubernetes, else token', () => {
      expect(security({ NM_CONFIG_SOURCE: 'kubernetes' }).apiAuth).toBe('kubernetes');
      expect(security({ NM_CONFIG_SOURCE: 'directory' }).apiAuth).toBe('token');
      expect(security({ NM_CONFIG_SOURCE: 'kubernetes', NM_API_AUTH: 'none' }).apiAuth).toBe('none');
      expect(security({ NM_CONFIG_SOURCE: 'kubernetes', NM_API_AUTH: '' }).apiAuth).toBe('kubernetes'); // empty = unset
    });

    it.each([
      [{ NM_INGEST_TLS_CERT_FILE: '/c' }, /NM_INGEST_TLS_CERT_FILE and NM_INGEST_TLS_KEY_FILE: set both or neither/],
      [{ NM_INGEST_TLS_KEY_FILE: '/k' }, /set both or neither/],
      [{ NM_INGEST_TLS_CLIENT_CA_FILE: '/ca' }, /NM_INGEST_TLS_CLIENT_CA_FILE: needs NM_INGEST_TLS_CERT_FILE/],
      [{ NM_TENANT_TOKENS: 'team-a=ok,leaked-token-value' }, /NM_TENANT_TOKENS: entry 2 must be <tenant>=<token>/],
    ])('%j is refused with one line', (env, message) => {
      expect(() => security(env)).toThrow(message);
      try {
        security(env);
      } catch (err) {
        expect((err as Error).message).not.toContain('leaked-token-value');
      }
    });

    it.each([
      ['NM_API_AUTH', 'basic', /NM_API_AUTH/],
      ['NM_ADMIN_PORT', '70000', /NM_ADMIN_PORT/],
      ['NM_API_AUTH_CACHE_TTL', 'soon', /NM_API_AUTH_CACHE_TTL: must be a duration/],
    ])('%s=%s is refused with one line naming it', (name, value, message) => {
      expect(() => parseEnv(IngestEnvSchema, { [name]: value })).toThrow(message);
    });
  });
});
