import express, { type NextFunction, type Request, type Response } from 'express';
import { subjects, PAYLOAD_VERSION, type IngestedBatch } from '@nm/contracts';
import { BusUnavailableError, newTraceparent, type Publisher, type StreamReader } from '@nm/bus';
import { effectiveSettings, explainRoute, type ConfigSnapshot } from '@nm/model';
import type { Health, Logger, Metrics } from '@nm/telemetry';
import { handleHealthRequest } from '@nm/telemetry';
import { chunkAlerts, IngestInputError, normalizeBody } from './alert.normalize.js';
import { registerRecordRoutes } from './records.routes.js';

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
  /**
   * Reads the DLQ and history streams for `/api/v2/dlq` and `/api/v2/history`; throws
   * BusUnavailableError while NATS is not connected. Without it those routes answer 503.
   */
  streamReader?: () => StreamReader;
  now?: () => Date;
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
  const received = deps.metrics.counter('nm_ingest_alerts_received_total', 'Alerts received, by status', ['status'] as const);
  const rejected = deps.metrics.counter('nm_ingest_alerts_rejected_total', 'Alerts rejected at ingest, by reason', ['reason'] as const);
  const requests = deps.metrics.counter('nm_ingest_requests_total', 'Ingest requests by HTTP status', ['code'] as const);
  const published = deps.metrics.counter('nm_ingest_messages_published_total', 'Batches published to JetStream', ['result'] as const);

  const raw = express.raw({ type: () => true, limit: deps.maxBodyBytes });

  app.post('/api/v2/alerts', raw, async (req: Request, res: Response) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const settings = effectiveSettings(deps.snapshot().notificationManager);
    let batch;
    try {
      batch = normalizeBody(body, { now: now(), cluster: settings.cluster });
    } catch (err) {
      if (err instanceof IngestInputError) {
        rejected.inc({ reason: 'invalid-request' });
        requests.inc({ code: '400' });
        return reply(res, 400, err.message);
      }
      throw err;
    }
    const { chunks, oversized } = chunkAlerts(batch.alerts, deps.maxMessageBytes - 4096);
    const problems = [...batch.problems, ...oversized.map((i) => `alert ${i}: larger than ${deps.maxMessageBytes} bytes`)];
    if (problems.length > 0) rejected.inc({ reason: 'invalid-alert' }, problems.length);
    const traceparent = newTraceparent();
    try {
      await Promise.all(
        chunks.map((alerts, index) => {
          const msg: IngestedBatch = {
            version: PAYLOAD_VERSION,
            batchId: batch.batchId,
            chunk: { index, count: chunks.length },
            source: batch.source,
            receivedAt: now().toISOString(),
            ...(batch.externalURL ? { externalURL: batch.externalURL } : {}),
            ...(batch.upstreamReceiver ? { upstreamReceiver: batch.upstreamReceiver } : {}),
            ...(batch.upstreamGroupKey ? { upstreamGroupKey: batch.upstreamGroupKey } : {}),
            alerts,
          };
          return deps.publisher.publish(subjects.alertsIngested, msg, { msgId: `${batch.batchId}-${index}`, traceparent });
        }),
      );
    } catch (err) {
      published.inc({ result: 'failed' });
      requests.inc({ code: '503' });
      deps.logger.warn({ err: (err as Error).message, batchId: batch.batchId }, 'publish failed, answered 503');
      const message = err instanceof BusUnavailableError ? 'message bus unavailable, retry later' : 'could not store alerts, retry later';
      return reply(res, 503, message);
    }
    published.inc({ result: 'ok' }, chunks.length);
    for (const a of chunks.flat()) received.inc({ status: a.status });
    if (problems.length > 0) {
      requests.inc({ code: '400' });
      const accepted = batch.alerts.length - oversized.length;
      return reply(res, 400, `${accepted} alert(s) accepted, ${problems.length} rejected: ${problems.join('; ')}`);
    }
    requests.inc({ code: '200' });
    deps.logger.debug({ batchId: batch.batchId, alerts: batch.alerts.length, chunks: chunks.length }, 'batch accepted');
    return reply(res, 200, 'Notification request accepted');
  });

  /** Dry run: which receivers an alert reaches and why. Body: one alert `{labels, annotations?, ...}`. */
  app.post('/api/v2/route', express.json({ limit: deps.maxBodyBytes }), (req: Request, res: Response) => {
    const b = req.body as unknown;
    const alert = Array.isArray(b) ? (b[0] as unknown) : b;
    const labels = (alert as { labels?: unknown } | undefined)?.labels;
    if (!alert || typeof labels !== 'object' || labels === null || Object.values(labels).some((v) => typeof v !== 'string'))
      return reply(res, 400, 'body must be an alert with a "labels" object of strings');
    const snap = deps.snapshot();
    const report = explainRoute(
      { labels: labels as Record<string, string> },
      snap,
      { now: now() },
    );
    res.status(200).json({ revision: snap.revision, ...report });
  });

  registerRecordRoutes(app, {
    publisher: deps.publisher,
    ...(deps.streamReader ? { streamReader: deps.streamReader } : {}),
    logger: deps.logger,
    metrics: deps.metrics,
    now,
    reply,
  });

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
