import express, { type NextFunction, type Request, type Response } from 'express';
import type { Publisher, StreamReader } from '@nm/bus';
import { effectiveSettings, type ConfigSnapshot } from '@nm/model';
import type { Health, Logger, Metrics } from '@nm/telemetry';
import { handleHealthRequest, serverSpans } from '@nm/telemetry';
import { DEFAULT_INGEST_LIMITS, normalizeBody, type IngestLimits } from './alert.normalize.js';
import { registerAuditRoutes } from './audit.routes.js';
import { createBatchAcceptor } from './batch.accept.js';
import { registerCloudEventRoutes } from './cloudevents.routes.js';
import type { ReceiptStore } from './receipt.store.js';
import type { StreamFill } from './stream.fill.js';
import { registerRecordRoutes } from './records.routes.js';
import { registerRouteRoutes } from './route.routes.js';
import { DEFAULT_API_SEND_MAX_ATTEMPTS, DEFAULT_API_SEND_TIMEOUT_MS, registerSendRoutes, type SendRoutesDeps } from './send.routes.js';
import { describePrincipal, type ApiAccess } from './api.access.js';
import { createGuard, principalOf, type Surface } from './http.guard.js';
import type { TokenTable } from './token.source.js';

export const DEFAULT_DEDUP_WINDOW_MS = 30_000;
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3600_000;
export const DEFAULT_HIGH_WATER = 0.9;
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
export { MAX_IDEMPOTENCY_KEY_LENGTH } from './batch.accept.js';

export interface IngestDeps {
  publisher: Publisher;
  logger: Logger;
  metrics: Metrics;
  health: Health;
  snapshot: () => ConfigSnapshot;
  /** Largest accepted body, bytes. */
  maxBodyBytes: number;
  /** Largest message published to NATS, bytes (chunks stay under it). */
  maxMessageBytes: number;
  /** Input limits; unset ones keep `DEFAULT_INGEST_LIMITS`. */
  limits?: Partial<IngestLimits>;
  /**
   * Dedup records (Redis). Without it nothing is deduplicated: every POST is a new receipt and
   * `Idempotency-Key` is ignored.
   */
  receipts?: ReceiptStore;
  /** Identical bodies within this window are one receipt, ms (`NM_INGEST_DEDUP_WINDOW`; 0 = off). */
  dedupWindowMs?: number;
  /** How long an `Idempotency-Key` is remembered, ms (`NM_INGEST_IDEMPOTENCY_TTL`; 0 = header ignored). */
  idempotencyTtlMs?: number;
  /** Fill of the first stream (`NM_INGESTED`); without it there is no high-water check. */
  streamFill?: () => Promise<StreamFill | undefined>;
  /** Fraction of the stream's limits from which POSTs are answered 503 (`NM_INGEST_HIGH_WATER`). */
  highWater?: number;
  /** `Retry-After` of 503 answers, seconds (`NM_INGEST_RETRY_AFTER`). */
  retryAfterSeconds?: number;
  /**
   * Reads the DLQ and history streams for `/api/v2/dlq` and `/api/v2/history`; throws
   * BusUnavailableError while NATS is not connected. Without it those routes answer 503.
   */
  streamReader?: () => StreamReader;
  now?: () => Date;
  /** Which routes this app serves (default `all`; `ingest` and `admin` when NM_ADMIN_PORT splits them). */
  surface?: Surface;
  /** Bearer tokens `POST /api/v2/alerts` requires (`NM_INGEST_TOKENS[_FILE]`); absent = open. */
  ingestTokens?: TokenTable;
  /** Authentication and authorization of the admin and read API; absent = open. */
  access?: ApiAccess;
  /** `POST /api/v2/verify` and `/api/v2/notifications` (send.routes.ts); absent: they answer 503. */
  sends?: Pick<SendRoutesDeps, 'seal' | 'inbox' | 'senderAlive'> & Partial<Pick<SendRoutesDeps, 'timeoutMs' | 'maxAttempts'>>;
}

type Reply = { Status: number; Message: string };
const reply = (res: Response, status: number, message: string): void => {
  const body: Reply = { Status: status, Message: message };
  res.status(status).json(body);
};

/** The HTTP API on :19093 (notification-manager compatible responses: `{"Status", "Message"}`). */
export function createIngestApp(deps: IngestDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const now = deps.now ?? ((): Date => new Date());
  const limits: IngestLimits = { ...DEFAULT_INGEST_LIMITS, ...deps.limits };
  const dedupWindowMs = deps.dedupWindowMs ?? DEFAULT_DEDUP_WINDOW_MS;
  const idempotencyTtlMs = deps.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
  const highWater = deps.highWater ?? DEFAULT_HIGH_WATER;
  const retryAfter = String(Math.max(1, Math.ceil(deps.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS)));
  const surface = deps.surface ?? 'all';
  const guard = createGuard({
    surface,
    ...(deps.ingestTokens ? { ingestTokens: deps.ingestTokens } : {}),
    ...(deps.access ? { access: deps.access } : {}),
    metrics: deps.metrics,
    logger: deps.logger,
    reply,
  });
  // one SERVER span per request (tracing on): a POST's trace continues through every stage
  app.use(serverSpans());
  app.use(guard.middleware);

  const raw = express.raw({ type: () => true, limit: deps.maxBodyBytes });
  // One way to store a validated request and answer it, for every source.
  const acceptor = createBatchAcceptor({
    publisher: deps.publisher,
    logger: deps.logger,
    metrics: deps.metrics,
    maxMessageBytes: deps.maxMessageBytes,
    receipts: deps.receipts,
    dedupWindowMs,
    idempotencyTtlMs,
    streamFill: deps.streamFill,
    highWater,
    retryAfter,
    now,
    reply,
  });
  const rejected = deps.metrics.counter('nm_ingest_alerts_rejected_total', 'Alerts rejected at ingest, by reason', ['reason'] as const);
  const requests = deps.metrics.counter('nm_ingest_requests_total', 'Ingest requests by HTTP status', ['code'] as const);

  if (surface !== 'admin') app.post('/api/v2/alerts', raw, async (req: Request, res: Response) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const receivedAt = now();
    return acceptor.accept(req, res, () => normalizeBody(body, { now: receivedAt, cluster: effectiveSettings(deps.snapshot().notificationManager).cluster, limits }), body);
  });
  // Audit events (the API server's audit webhook) and CloudEvents: docs/sources.md.
  if (surface !== 'admin') registerAuditRoutes(app, { acceptor, raw, snapshot: deps.snapshot, limits, now, metrics: deps.metrics, reply });
  if (surface !== 'admin') registerCloudEventRoutes(app, { acceptor, raw, snapshot: deps.snapshot, limits, now, metrics: deps.metrics, reply });

  if (surface !== 'ingest') {
    // Dry run: which receivers each alert reaches and why (route.routes.ts).
    registerRouteRoutes(app, {
      snapshot: deps.snapshot,
      limits,
      maxBodyBytes: deps.maxBodyBytes,
      now,
      reply,
      allows: (req, res, tenant) => guard.allows(req, res, 'receivers', tenant, false),
    });

    // notification-manager's direct-send APIs (send.routes.ts).
    registerSendRoutes(app, {
      snapshot: deps.snapshot,
      publisher: deps.publisher,
      // without `sends` there is no inbox, so nothing sealed this way is ever published
      seal: deps.sends?.seal ?? ((plaintext: string): string => plaintext),
      ...(deps.sends?.inbox ? { inbox: deps.sends.inbox } : {}),
      senderAlive: deps.sends?.senderAlive ?? ((): Promise<boolean> => Promise.resolve(true)),
      limits,
      maxBodyBytes: deps.maxBodyBytes,
      timeoutMs: deps.sends?.timeoutMs ?? DEFAULT_API_SEND_TIMEOUT_MS,
      maxAttempts: deps.sends?.maxAttempts ?? DEFAULT_API_SEND_MAX_ATTEMPTS,
      now,
      logger: deps.logger,
      metrics: deps.metrics,
      reply,
      authorize: (req, res, kind, tenant) => guard.allows(req, res, kind, tenant),
    });

    registerRecordRoutes(app, {
      publisher: deps.publisher,
      ...(deps.streamReader ? { streamReader: deps.streamReader } : {}),
      logger: deps.logger,
      metrics: deps.metrics,
      now,
      reply,
      ...(deps.access ? { authorizeTenant: (req: Request, res: Response, tenant: string) => guard.allows(req, res, 'history', tenant) } : {}),
      actorOf: (res: Response) => describePrincipal(principalOf(res)),
    });
  }

  app.get(['/-/healthy', '/-/live', '/-/ready', '/metrics'], async (req: Request, res: Response) => {
    const r = await handleHealthRequest(req.path, deps.health, deps.metrics);
    res.status(r.status).type(r.type).send(r.body);
  });

  app.use((req: Request, res: Response) => reply(res, 404, `no route for ${req.method} ${req.path}`));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.too.large') {
      rejected.inc({ reason: 'too-large' });
      requests.inc({ code: '413' });
      return reply(res, 413, `request body larger than ${deps.maxBodyBytes} bytes`);
    }
    if (e.status && e.status >= 400 && e.status < 500) return reply(res, e.status, e.message ?? 'bad request');
    deps.logger.error({ err: e.message }, 'request failed');
    requests.inc({ code: '500' });
    return reply(res, 500, 'internal error');
  });
  return app;
}
