import express, { type NextFunction, type Request, type Response } from 'express';
import { subjects, PAYLOAD_VERSION, type Alert, type IngestedBatch } from '@nm/contracts';
import { BusUnavailableError, newTraceparent, type Publisher, type StreamReader } from '@nm/bus';
import { effectiveSettings, explainRoute, type ConfigSnapshot } from '@nm/model';
import type { Health, Logger, Metrics } from '@nm/telemetry';
import { handleHealthRequest } from '@nm/telemetry';
import {
  chunkAlerts,
  DEFAULT_INGEST_LIMITS,
  IngestInputError,
  newReceiptId,
  normalizeBody,
  TooManyAlertsError,
  withReceipt,
  type IngestLimits,
  type NormalizedBatch,
} from './alert.normalize.js';
import { bodyDedupKey, idempotencyKey, ReceiptStoreUnavailableError, sha256, type ReceiptStore } from './receipt.store.js';
import type { StreamFill } from './stream.fill.js';
import { registerRecordRoutes } from './records.routes.js';
import { describePrincipal, type ApiAccess } from './api.access.js';
import { createGuard, principalOf, type Surface } from './http.guard.js';
import type { TokenTable } from './token.source.js';

export const DEFAULT_DEDUP_WINDOW_MS = 30_000;
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3600_000;
export const DEFAULT_HIGH_WATER = 0.9;
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
/** Longest accepted `Idempotency-Key` header value, characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
/** Problems listed in one answer; the rest are counted. */
const MAX_LISTED_PROBLEMS = 20;

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
}

type Reply = { Status: number; Message: string };
const reply = (res: Response, status: number, message: string): void => {
  const body: Reply = { Status: status, Message: message };
  res.status(status).json(body);
};

/** JetStream refused a publish because the stream reached a limit (discard-new). */
function isStreamFull(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    if (/maximum (messages|bytes|messages per subject) exceeded|insufficient resources/i.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}

const listProblems = (problems: readonly string[]): string =>
  problems.length <= MAX_LISTED_PROBLEMS
    ? problems.join('; ')
    : `${problems.slice(0, MAX_LISTED_PROBLEMS).join('; ')}; … and ${problems.length - MAX_LISTED_PROBLEMS} more`;

/** The request's alerts under one receipt id, split into messages. */
function prepare(batch: NormalizedBatch, receiptId: string, maxMessageBytes: number): { chunks: Alert[][]; problems: string[]; accepted: number } {
  const alerts = withReceipt(batch, receiptId);
  const { chunks, oversized } = chunkAlerts(alerts, maxMessageBytes - 4096);
  const problems = [
    ...batch.problems,
    ...oversized.map((k) => `${batch.pathOf(batch.indexes[k] ?? k)}: larger than ${maxMessageBytes} bytes`),
  ];
  return { chunks, problems, accepted: alerts.length - oversized.length };
}

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
  const received = deps.metrics.counter('nm_ingest_alerts_received_total', 'Alerts received, by status', ['status'] as const);
  const rejected = deps.metrics.counter('nm_ingest_alerts_rejected_total', 'Alerts rejected at ingest, by reason', ['reason'] as const);
  const requests = deps.metrics.counter('nm_ingest_requests_total', 'Ingest requests by HTTP status', ['code'] as const);
  const published = deps.metrics.counter('nm_ingest_messages_published_total', 'Batches published to JetStream', ['result'] as const);
  const duplicates = deps.metrics.counter(
    'nm_ingest_duplicate_requests_total',
    'POSTs answered as duplicates of an accepted request, by what matched (body within the dedup window, or Idempotency-Key)',
    ['by'] as const,
  );
  const dedupUnavailable = deps.metrics.counter(
    'nm_ingest_dedup_unavailable_total',
    'Dedup lookups that failed (Redis unavailable): the request was accepted without deduplication',
  );
  const throttled = deps.metrics.counter(
    'nm_ingest_backpressure_total',
    'POSTs answered 503 with Retry-After, by reason (high-water: the first stream above NM_INGEST_HIGH_WATER; stream-full; bus-unavailable)',
    ['reason'] as const,
  );

  const surface = deps.surface ?? 'all';
  const guard = createGuard({
    surface,
    ...(deps.ingestTokens ? { ingestTokens: deps.ingestTokens } : {}),
    ...(deps.access ? { access: deps.access } : {}),
    metrics: deps.metrics,
    logger: deps.logger,
    reply,
  });
  app.use(guard.middleware);

  const raw = express.raw({ type: () => true, limit: deps.maxBodyBytes });
  const unavailable = (res: Response, reason: 'high-water' | 'stream-full' | 'bus-unavailable', message: string): void => {
    throttled.inc({ reason });
    requests.inc({ code: '503' });
    res.set('Retry-After', retryAfter);
    reply(res, 503, message);
  };

  if (surface !== 'admin') app.post('/api/v2/alerts', raw, async (req: Request, res: Response) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const settings = effectiveSettings(deps.snapshot().notificationManager);
    let batch: NormalizedBatch;
    try {
      batch = normalizeBody(body, { now: now(), cluster: settings.cluster, limits });
    } catch (err) {
      if (err instanceof IngestInputError) {
        rejected.inc({ reason: err instanceof TooManyAlertsError ? 'too-many-alerts' : 'invalid-request' });
        requests.inc({ code: String(err.status) });
        return reply(res, err.status, err.message);
      }
      throw err;
    }
    const idemHeader = idempotencyTtlMs > 0 ? req.get('idempotency-key') : undefined;
    if (idemHeader !== undefined && (idemHeader.trim() === '' || idemHeader.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
      requests.inc({ code: '400' });
      return reply(res, 400, `Idempotency-Key: must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
    }

    let receiptId = newReceiptId();
    let prepared = prepare(batch, receiptId, deps.maxMessageBytes);
    const invalid = batch.total - batch.alerts.length - batch.overLimit;
    if (invalid > 0) rejected.inc({ reason: 'invalid-alert' }, invalid);
    if (batch.overLimit > 0) rejected.inc({ reason: 'over-limit' }, batch.overLimit);
    if (batch.alerts.length > prepared.accepted) rejected.inc({ reason: 'too-large' }, batch.alerts.length - prepared.accepted);
    const outcome = (prefix: string): { status: number; message: string } =>
      prepared.problems.length > 0
        ? {
            status: 400,
            message: `${prefix}${prepared.accepted} alert(s) accepted, ${prepared.problems.length} rejected: ${listProblems(prepared.problems)}`,
          }
        : { status: 200, message: prefix ? prefix.replace(/: $/, '') : 'Notification request accepted' };
    if (prepared.chunks.length === 0) {
      const o = outcome('');
      requests.inc({ code: String(o.status) });
      return reply(res, o.status, o.message);
    }

    // Deduplication of client retries: an explicit Idempotency-Key, else an identical body within the window.
    const bodyHash = sha256(body);
    const dedup =
      idemHeader !== undefined
        ? { key: idempotencyKey(idemHeader), by: 'idempotency-key' as const, ttlMs: idempotencyTtlMs }
        : dedupWindowMs > 0
          ? { key: bodyDedupKey(bodyHash), by: 'body' as const, ttlMs: dedupWindowMs }
          : undefined;
    let claimed = false;
    if (dedup && deps.receipts) {
      try {
        const existing = await deps.receipts.claim(dedup.key, receiptId, bodyHash, dedup.ttlMs);
        claimed = true;
        if (existing) {
          if (dedup.by === 'idempotency-key' && existing.bodyHash !== bodyHash) {
            requests.inc({ code: '422' });
            return reply(res, 422, `Idempotency-Key: ${JSON.stringify(idemHeader)} was used for a request with a different body`);
          }
          receiptId = existing.receiptId;
          if (existing.state === 'done') {
            duplicates.inc({ by: dedup.by });
            const by = dedup.by === 'body' ? 'identical body' : 'same Idempotency-Key';
            const o = outcome(`Duplicate of accepted request ${receiptId} (${by}), not stored again: `);
            requests.inc({ code: String(o.status) });
            res.set('X-NM-Receipt-Id', receiptId);
            return reply(res, o.status, o.message);
          }
          // pending: a concurrent first attempt, or one that failed; publish again under its receipt id
          prepared = prepare(batch, receiptId, deps.maxMessageBytes);
        }
      } catch (err) {
        if (!(err instanceof ReceiptStoreUnavailableError)) throw err;
        dedupUnavailable.inc();
        deps.logger.warn({ err: err.message }, 'dedup unavailable, request accepted without deduplication');
      }
    }

    if (deps.streamFill) {
      const fill = await deps.streamFill();
      if (fill && fill.fraction >= highWater) {
        return unavailable(
          res,
          'high-water',
          `alert stream is ${Math.round(fill.fraction * 100)}% full (high-water mark ${highWater}), retry later`,
        );
      }
    }

    const traceparent = newTraceparent();
    const { chunks } = prepared;
    try {
      await Promise.all(
        chunks.map((alerts, index) => {
          const msg: IngestedBatch = {
            version: PAYLOAD_VERSION,
            batchId: receiptId,
            chunk: { index, count: chunks.length },
            source: batch.source,
            receivedAt: now().toISOString(),
            ...(batch.externalURL ? { externalURL: batch.externalURL } : {}),
            ...(batch.upstreamReceiver ? { upstreamReceiver: batch.upstreamReceiver } : {}),
            ...(batch.upstreamGroupKey ? { upstreamGroupKey: batch.upstreamGroupKey } : {}),
            alerts,
          };
          return deps.publisher.publish(subjects.alertsIngested, msg, { msgId: `${receiptId}-${index}`, traceparent });
        }),
      );
    } catch (err) {
      published.inc({ result: 'failed' });
      deps.logger.warn({ err: (err as Error).message, receiptId }, 'publish failed, answered 503');
      // a dedup record stays pending: a retry publishes again under the same receipt id
      if (isStreamFull(err)) return unavailable(res, 'stream-full', 'alert stream is full, retry later');
      const message = err instanceof BusUnavailableError ? 'message bus unavailable, retry later' : 'could not store alerts, retry later';
      return unavailable(res, 'bus-unavailable', message);
    }
    published.inc({ result: 'ok' }, chunks.length);
    for (const a of chunks.flat()) received.inc({ status: a.status });
    if (claimed && dedup && deps.receipts) {
      await deps.receipts.markDone(dedup.key, receiptId, bodyHash).catch((err: unknown) => {
        if (!(err instanceof ReceiptStoreUnavailableError)) throw err;
        dedupUnavailable.inc();
        deps.logger.warn({ err: err.message, receiptId }, 'could not mark the dedup record done; a retry publishes again under the same ids');
      });
    }
    const o = outcome('');
    requests.inc({ code: String(o.status) });
    deps.logger.debug({ receiptId, alerts: prepared.accepted, chunks: chunks.length }, 'batch accepted');
    res.set('X-NM-Receipt-Id', receiptId);
    return reply(res, o.status, o.message);
  });

  if (surface !== 'ingest') {
    /**
     * Dry run: which receivers an alert reaches and why. Body: one alert `{labels, annotations?, ...}`.
     * A caller allowed to see every receiver gets the whole report; any other caller gets only the
     * receivers of the tenants it may see (`{revision, decision: {receivers}, scope: "tenant"}`).
     */
    app.post('/api/v2/route', express.json({ limit: deps.maxBodyBytes }), async (req: Request, res: Response) => {
      const b = req.body as unknown;
      const alert = Array.isArray(b) ? (b[0] as unknown) : b;
      const labels = (alert as { labels?: unknown } | undefined)?.labels;
      if (!alert || typeof labels !== 'object' || labels === null || Object.values(labels).some((v) => typeof v !== 'string'))
        return reply(res, 400, 'body must be an alert with a "labels" object of strings');
      const snap = deps.snapshot();
      const report = explainRoute({ labels: labels as Record<string, string> }, snap, { now: now() });
      const all = await guard.allows(req, res, 'receivers', undefined, false);
      if (res.headersSent) return;
      if (all) {
        res.status(200).json({ revision: snap.revision, ...report });
        return;
      }
      const tenants = [...new Set(report.decision.receivers.map((r) => r.tenant))];
      const visible = new Set<string>();
      for (const t of tenants) {
        if (await guard.allows(req, res, 'receivers', t, false)) visible.add(t);
        if (res.headersSent) return;
      }
      res.status(200).json({ revision: snap.revision, scope: 'tenant', decision: { receivers: report.decision.receivers.filter((r) => visible.has(r.tenant)) } });
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

  app.get(['/-/healthy', '/-/ready', '/metrics'], async (req: Request, res: Response) => {
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
