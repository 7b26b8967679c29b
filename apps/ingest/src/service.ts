import { streams } from '@nm/contracts';
import { BusUnavailableError, createStreamReader, type StreamReader } from '@nm/bus';
import { aliveServices } from '@nm/config-store';
import { effectiveSettings } from '@nm/model';
import type { Runtime } from '@nm/service-kit';
import type { IngestLimits } from './alert.normalize.js';
import { createApiAccess, type ApiAccess, type ApiAuthMode } from './api.access.js';
import { createIngestApp, type IngestDeps } from './ingest.app.js';
import { cachedReviewer, createKubeReviewer, type KubeReviewer } from './kube.review.js';
import { listen, type Listener, type TlsFiles } from './listener.js';
import { redisReceiptStore } from './receipt.store.js';
import { cachedStreamFill } from './stream.fill.js';
import { natsOutcomeInbox } from './outcome.inbox.js';
import { TokenTable } from './token.source.js';

/** Authentication, authorization and TLS of ingest's listeners (docs/security.md). */
export interface IngestSecurity {
  /** Bearer tokens `POST /api/v2/alerts` requires (`NM_INGEST_TOKENS`); with no file either, ingest is open. */
  ingestTokens?: string[];
  /** A file of more ingest tokens, re-read when it changes (`NM_INGEST_TOKENS_FILE`). */
  ingestTokensFile?: string;
  /** HTTPS on the ingest listener, mTLS with `clientCaFile` (`NM_INGEST_TLS_*`); the admin listener uses the same certificate. */
  tls?: TlsFiles;
  /** How the admin and read API authenticates (`NM_API_AUTH`). */
  apiAuth: ApiAuthMode;
  adminTokens?: string[];
  adminTokensFile?: string;
  tenantTokens?: Array<{ tenant: string; token: string }>;
  tenantTokensFile?: string;
  /** Audiences a Kubernetes token must have (`NM_API_TOKEN_AUDIENCES`). */
  tokenAudiences?: string[];
  /** Reuse of TokenReview/SubjectAccessReview answers, ms (`NM_API_AUTH_CACHE_TTL`, default 10 s). */
  authCacheTtlMs?: number;
  /** Kubeconfig of the API server to ask (default `KUBECONFIG`, else in-cluster). */
  kubeconfig?: string;
  /** Asks the API server instead of a client built from the kubeconfig (tests). */
  kubeReviewer?: KubeReviewer;
  /** How often token and certificate files are checked for changes, ms (default 1000). */
  filePollMs?: number;
}

export interface IngestOptions {
  port: number;
  host?: string;
  maxBodyBytes?: number;
  /** Services whose heartbeat `/-/ready` waits for (the whole pipeline, by default). */
  readyRequires?: readonly string[];
  /** Input limits; unset ones keep the defaults (`DEFAULT_INGEST_LIMITS`). */
  limits?: Partial<IngestLimits>;
  /** Identical bodies within this window are one receipt, ms (default 30 s; 0 = off). */
  dedupWindowMs?: number;
  /** How long an `Idempotency-Key` is remembered, ms (default 24 h; 0 = the header is ignored). */
  idempotencyTtlMs?: number;
  /** Fraction of NM_INGESTED's max_bytes / max_msgs from which POSTs are answered 503 (default 0.9). */
  highWater?: number;
  /** `Retry-After` of 503 answers, seconds (default 5). */
  retryAfterSeconds?: number;
  /** How long NM_INGESTED's stream info is reused by the high-water check, ms (default 500). */
  streamInfoCacheMs?: number;
  /** Authentication, authorization and TLS (`ingestOptionsFromEnv` reads them); absent: everything open, plain HTTP. */
  security?: IngestSecurity;
  /** Serve the admin and read API on this port only (`NM_ADMIN_PORT`); `port` keeps POST /api/v2/alerts and the probes. */
  adminPort?: number;
  /** Address of the admin listener (default `host`). */
  adminHost?: string;
  /** How long POST /api/v2/verify and /api/v2/notifications wait for the outcome, ms (default 30 s). */
  apiSendTimeoutMs?: number;
}

export const DEFAULT_READY_REQUIRES = ['config-sync', 'silencer', 'router', 'aggregator', 'sender-webhook'] as const;

/** Token tables and the API's access policy from the security options; logs what is left open. */
async function securityOf(
  rt: Runtime,
  sec: IngestSecurity,
  port: number,
): Promise<{ ingestTokens?: TokenTable; access?: ApiAccess; close(): void }> {
  const tables: TokenTable[] = [];
  const table = async (name: string, tokens: Array<{ token: string; tenant?: string }>, file: string | undefined, withTenant = false) => {
    if (tokens.length === 0 && !file) return undefined;
    const t = await TokenTable.open({ name, tokens, ...(file ? { file } : {}), withTenant, logger: rt.logger, ...(sec.filePollMs ? { pollMs: sec.filePollMs } : {}) });
    tables.push(t);
    return t;
  };
  const close = (): void => tables.forEach((t) => t.close());
  try {
    const ingestTokens = await table('NM_INGEST_TOKENS', (sec.ingestTokens ?? []).map((token) => ({ token })), sec.ingestTokensFile);
    if (!ingestTokens)
      rt.logger.warn(
        { port },
        'NM_INGEST_TOKENS and NM_INGEST_TOKENS_FILE are unset: POST /api/v2/alerts accepts alerts from anyone who can reach this port (docs/security.md)',
      );
    if (sec.apiAuth === 'none') {
      rt.logger.warn('NM_API_AUTH=none: the admin and read API (dead letters, history, route dry-run) is open to anyone who can reach it');
      return { ...(ingestTokens ? { ingestTokens } : {}), close };
    }
    const adminTokens = await table('NM_ADMIN_TOKENS', (sec.adminTokens ?? []).map((token) => ({ token })), sec.adminTokensFile);
    const tenantTokens = await table('NM_TENANT_TOKENS', sec.tenantTokens ?? [], sec.tenantTokensFile, true);
    let reviewer: KubeReviewer | undefined;
    if (sec.apiAuth === 'kubernetes') {
      const inner =
        sec.kubeReviewer ??
        (await createKubeReviewer({ ...(sec.kubeconfig ? { kubeconfig: sec.kubeconfig } : {}), ...(sec.tokenAudiences ? { audiences: sec.tokenAudiences } : {}) }));
      reviewer = cachedReviewer(inner, { ttlMs: sec.authCacheTtlMs ?? 10_000 });
    } else if (!adminTokens && !tenantTokens) {
      rt.logger.warn('NM_API_AUTH=token without NM_ADMIN_TOKENS or NM_TENANT_TOKENS: the admin and read API refuses every request');
    }
    const access = createApiAccess({
      mode: sec.apiAuth,
      ...(adminTokens ? { adminTokens } : {}),
      ...(tenantTokens ? { tenantTokens } : {}),
      ...(reviewer ? { reviewer } : {}),
      tenantKey: () => effectiveSettings(rt.config.current().notificationManager).tenantKey,
    });
    return { ...(ingestTokens ? { ingestTokens } : {}), access, close };
  } catch (err) {
    close();
    throw err;
  }
}

export async function startIngest(rt: Runtime, opts: IngestOptions): Promise<{ port: number; adminPort?: number; stop(): Promise<void> }> {
  if (opts.adminPort !== undefined && opts.adminPort !== 0 && opts.adminPort === opts.port)
    throw new Error(`NM_ADMIN_PORT (${opts.adminPort}) must differ from the ingest port`);
  const requires = opts.readyRequires ?? DEFAULT_READY_REQUIRES;
  if (requires.length > 0) {
    rt.health.addCheck({
      name: `services(${requires.join(',')})`,
      check: async () => {
        const alive = await aliveServices(rt.redis);
        return requires.every((s) => alive.has(s));
      },
    });
  }
  let reader: { jsm: unknown; reader: StreamReader } | undefined;
  const streamReader = (): StreamReader => {
    const bus = rt.bus();
    if (!bus?.isConnected()) throw new BusUnavailableError('NATS is not connected');
    if (reader?.jsm !== bus.jsm) reader = { jsm: bus.jsm, reader: createStreamReader(bus.jsm) };
    return reader.reader;
  };
  const security = opts.security ? await securityOf(rt, opts.security, opts.port) : undefined;
  const deps: IngestDeps = {
    ...(security?.ingestTokens ? { ingestTokens: security.ingestTokens } : {}),
    ...(security?.access ? { access: security.access } : {}),
    publisher: rt.publisher,
    logger: rt.logger,
    metrics: rt.metrics,
    health: rt.health,
    snapshot: () => rt.config.current(),
    maxBodyBytes: opts.maxBodyBytes ?? 16 * 1024 * 1024,
    maxMessageBytes: 1024 * 1024,
    streamReader,
    receipts: redisReceiptStore(rt.redis),
    streamFill: cachedStreamFill(
      () => {
        const bus = rt.bus();
        return bus?.isConnected() ? bus.jsm : undefined;
      },
      streams.ingested.name,
      {
        cacheMs: opts.streamInfoCacheMs,
        onError: (err) => rt.logger.debug({ err: err.message }, 'stream info failed, high-water check skipped'),
      },
    ),
    limits: opts.limits,
    dedupWindowMs: opts.dedupWindowMs,
    idempotencyTtlMs: opts.idempotencyTtlMs,
    highWater: opts.highWater,
    retryAfterSeconds: opts.retryAfterSeconds,
    sends: {
      seal: (plaintext) => rt.secretBox.seal(plaintext),
      inbox: natsOutcomeInbox(() => rt.bus()),
      senderAlive: async (channel) => {
        try {
          return (await aliveServices(rt.redis)).has(`sender-${channel}`);
        } catch {
          return true; // Redis away: the outcome (or the timeout) answers instead
        }
      },
      ...(opts.apiSendTimeoutMs !== undefined ? { timeoutMs: opts.apiSendTimeoutMs } : {}),
    },
  };
  const host = opts.host ?? '0.0.0.0';
  const tls = opts.security?.tls;
  const pollMs = opts.security?.filePollMs;
  const listeners: Listener[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(listeners.map((l) => l.close()));
    security?.close();
  };
  try {
    const split = opts.adminPort !== undefined;
    const ingest = await listen(createIngestApp({ ...deps, surface: split ? 'ingest' : 'all' }), {
      port: opts.port,
      host,
      logger: rt.logger,
      name: 'ingest',
      ...(tls ? { tls } : {}),
      ...(pollMs ? { pollMs } : {}),
    });
    listeners.push(ingest);
    let admin: Listener | undefined;
    if (split) {
      // the admin listener shares the certificate but asks no client certificate (API callers bring tokens)
      admin = await listen(createIngestApp({ ...deps, surface: 'admin' }), {
        port: opts.adminPort!,
        host: opts.adminHost ?? host,
        logger: rt.logger,
        name: 'admin',
        ...(tls ? { tls: { certFile: tls.certFile, keyFile: tls.keyFile } } : {}),
        ...(pollMs ? { pollMs } : {}),
      });
      listeners.push(admin);
    }
    rt.logger.info(
      {
        port: ingest.port,
        ...(admin ? { adminPort: admin.port } : {}),
        tls: tls ? (tls.clientCaFile ? 'mtls' : 'tls') : 'off',
        ingestAuth: security?.ingestTokens ? 'token' : 'open',
        apiAuth: security?.access?.mode ?? 'none',
      },
      'ingest listening',
    );
    return { port: ingest.port, ...(admin ? { adminPort: admin.port } : {}), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
