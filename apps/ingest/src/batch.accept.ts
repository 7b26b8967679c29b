import type { Request, Response } from 'express';
import type { Alert } from '@nm/contracts';
import { BusUnavailableError, newTraceparent, type Publisher } from '@nm/bus';
import { requestSpan, requestTraceparent, type Logger, type Metrics } from '@nm/telemetry';
import { chunkAlerts, IngestInputError, newReceiptId, publishIngested, TooManyAlertsError, withReceipt, type NormalizedBatch } from './alert.normalize.js';
import { bodyDedupKey, idempotencyKey, ReceiptStoreUnavailableError, sha256, type ReceiptRecord, type ReceiptStore } from './receipt.store.js';
import type { StreamFill } from './stream.fill.js';
import { ingestActivity } from '@nm/service-kit';

/** Longest accepted `Idempotency-Key` header value, characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
/** Problems listed in one answer; the rest are counted. */
const MAX_LISTED_PROBLEMS = 20;

export interface BatchAcceptorDeps {
  publisher: Publisher;
  logger: Logger;
  metrics: Metrics;
  /** Largest message published to NATS, bytes (chunks stay under it). */
  maxMessageBytes: number;
  receipts?: ReceiptStore | undefined;
  dedupWindowMs: number;
  idempotencyTtlMs: number;
  streamFill?: (() => Promise<StreamFill | undefined>) | undefined;
  highWater: number;
  /** `Retry-After` of 503 answers, seconds (as sent). */
  retryAfter: string;
  now: () => Date;
  reply: (res: Response, status: number, message: string) => void;
}

export interface BatchAcceptor {
  /**
   * Stores a validated request's alerts and answers it, the same way for every source (Alertmanager
   * and Prometheus alerts, audit events, CloudEvents): deduplication of client retries (an
   * `Idempotency-Key`, else identical `dedupBytes` within the window), the high-water check of
   * `NM_INGESTED`, one receipt id, chunks under `max_payload` published to `nm.alerts.ingested`,
   * 200 only once JetStream acknowledged every chunk (400 naming the rejected items when some were
   * invalid, 503 with `Retry-After` when the stream or the bus cannot take them).
   *
   * `decode` turns the request into its batch, throwing an `IngestInputError` when the request is
   * unusable as a whole (answered as `rejectInput` does). It is called after the dedup record is
   * claimed, so no parsed alert waits on Redis; `dedupBytes` (the body, with what else identifies
   * the request) is all that does.
   */
  accept(req: Request, res: Response, decode: () => NormalizedBatch, dedupBytes: Buffer): Promise<void>;
  /** Answers a request that is unusable as a whole (`IngestInputError`: 400 or 413 naming the problem); rethrows anything else. */
  rejectInput(res: Response, err: unknown): void;
  /** Answers 503 with `Retry-After`, counted by reason. */
  unavailable(res: Response, reason: 'high-water' | 'stream-full' | 'bus-unavailable', message: string): void;
}

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
function prepare(batch: NormalizedBatch, receiptId: string, maxMessageBytes: number): { chunks: Alert[][]; alertsJson: string[]; problems: string[]; accepted: number } {
  const alerts = withReceipt(batch, receiptId);
  const { chunks, alertsJson, oversized } = chunkAlerts(alerts, maxMessageBytes - 4096);
  const problems = [
    ...batch.problems,
    ...oversized.map((k) => `${batch.pathOf(batch.indexes[k] ?? k)}: larger than ${maxMessageBytes} bytes`),
  ];
  return { chunks, alertsJson, problems, accepted: alerts.length - oversized.length };
}

/** The answer to a request whose valid alerts were taken: 200, or 400 naming the rejected ones. */
function answerOf(accepted: number, problems: readonly string[]): (prefix: string) => { status: number; message: string } {
  return (prefix) =>
    problems.length > 0
      ? { status: 400, message: `${prefix}${accepted} alert(s) accepted, ${problems.length} rejected: ${listProblems(problems)}` }
      : { status: 200, message: prefix ? prefix.replace(/: $/, '') : 'Notification request accepted' };
}

export function createBatchAcceptor(deps: BatchAcceptorDeps): BatchAcceptor {
  const { reply } = deps;
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

  const unavailable: BatchAcceptor['unavailable'] = (res, reason, message) => {
    throttled.inc({ reason });
    requests.inc({ code: '503' });
    res.set('Retry-After', deps.retryAfter);
    reply(res, 503, message);
  };

  const rejectInput: BatchAcceptor['rejectInput'] = (res, err) => {
    if (!(err instanceof IngestInputError)) throw err;
    rejected.inc({ reason: err instanceof TooManyAlertsError ? 'too-many-alerts' : 'invalid-request' });
    requests.inc({ code: String(err.status) });
    reply(res, err.status, err.message);
  };

  // Counted in ingest's activity while in hand: the senders on this thread (single process) take
  // fewer at once while ingest is busy, and the stage worker's aggregator tells the input's end by it.
  const accept: BatchAcceptor['accept'] = (req, res, decode, dedupBytes) => {
    ingestActivity.begin();
    const answered = take(req, res, decode, dedupBytes);
    const end = (): void => ingestActivity.end();
    void answered.then(end, end);
    return answered;
  };

  const take: BatchAcceptor['accept'] = async (req, res, decode, dedupBytes) => {
    const idemHeader = deps.idempotencyTtlMs > 0 ? req.get('idempotency-key') : undefined;
    if (idemHeader !== undefined && (idemHeader.trim() === '' || idemHeader.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
      requests.inc({ code: '400' });
      return reply(res, 400, `Idempotency-Key: must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
    }

    // Deduplication of client retries: an explicit Idempotency-Key, else an identical body within
    // the window. Claimed before the body is decoded: while Redis answers (under load, several
    // young collections later), the request is its bytes, off the heap, not its parsed and
    // normalised alerts, which every collection would otherwise copy and then promote.
    let receiptId = newReceiptId();
    const bodyHash = sha256(dedupBytes);
    const dedup =
      idemHeader !== undefined
        ? { key: idempotencyKey(idemHeader), by: 'idempotency-key' as const, ttlMs: deps.idempotencyTtlMs }
        : deps.dedupWindowMs > 0
          ? { key: bodyDedupKey(bodyHash), by: 'body' as const, ttlMs: deps.dedupWindowMs }
          : undefined;
    let claimed = false;
    let existing: ReceiptRecord | undefined;
    if (dedup && deps.receipts) {
      try {
        existing = await deps.receipts.claim(dedup.key, receiptId, bodyHash, dedup.ttlMs);
        claimed = true;
      } catch (err) {
        if (!(err instanceof ReceiptStoreUnavailableError)) throw err;
        dedupUnavailable.inc();
        deps.logger.warn({ err: err.message }, 'dedup unavailable, request accepted without deduplication');
      }
    }
    if (existing && dedup?.by === 'idempotency-key' && existing.bodyHash !== bodyHash) {
      requests.inc({ code: '422' });
      return reply(res, 422, `Idempotency-Key: ${JSON.stringify(idemHeader)} was used for a request with a different body`);
    }
    // A record this request made, for a request that stores nothing, is let go: a corrected retry
    // under the same Idempotency-Key must not be refused as a different body.
    const releaseClaim = (): void => {
      if (!claimed || existing || !dedup || !deps.receipts) return;
      void deps.receipts.release(dedup.key, receiptId, bodyHash).catch((err: unknown) => {
        deps.logger.warn({ err: (err as Error).message, receiptId }, 'could not release the dedup record of a request that stored nothing');
      });
    };
    // a pending record: a concurrent first attempt, or one that failed; publish again under its receipt id
    if (existing) receiptId = existing.receiptId;

    let batch: NormalizedBatch;
    try {
      batch = decode();
    } catch (err) {
      releaseClaim();
      return rejectInput(res, err);
    }
    const prepared = prepare(batch, receiptId, deps.maxMessageBytes);
    const invalid = batch.total - batch.alerts.length - batch.overLimit;
    if (invalid > 0) rejected.inc({ reason: 'invalid-alert' }, invalid);
    if (batch.overLimit > 0) rejected.inc({ reason: 'over-limit' }, batch.overLimit);
    if (batch.alerts.length > prepared.accepted) rejected.inc({ reason: 'too-large' }, batch.alerts.length - prepared.accepted);
    // The answer from the figures alone: nothing that outlives this function (the answer, the tail
    // in `stored`) may keep the request's alerts alive while JetStream acknowledges them (under load
    // they would outlive young collections and be promoted, every request's).
    const outcome = answerOf(prepared.accepted, prepared.problems);
    if (prepared.chunks.length === 0) {
      releaseClaim();
      const o = outcome('');
      requests.inc({ code: String(o.status) });
      return reply(res, o.status, o.message);
    }
    if (existing?.state === 'done' && dedup) {
      duplicates.inc({ by: dedup.by });
      const by = dedup.by === 'body' ? 'identical body' : 'same Idempotency-Key';
      const o = outcome(`Duplicate of accepted request ${receiptId} (${by}), not stored again: `);
      requests.inc({ code: String(o.status) });
      res.set('X-NM-Receipt-Id', receiptId);
      return reply(res, o.status, o.message);
    }

    if (deps.streamFill) {
      const fill = await deps.streamFill();
      if (fill && fill.fraction >= deps.highWater) {
        return unavailable(res, 'high-water', `alert stream is ${Math.round(fill.fraction * 100)}% full (high-water mark ${deps.highWater}), retry later`);
      }
    }

    const header = {
      batchId: receiptId,
      source: batch.source,
      receivedAt: deps.now().toISOString(),
      externalURL: batch.externalURL,
      upstreamReceiver: batch.upstreamReceiver,
      upstreamGroupKey: batch.upstreamGroupKey,
    };
    const chunkCount = prepared.chunks.length;
    let resolved = 0;
    for (const chunk of prepared.chunks) for (const a of chunk) if (a.status === 'resolved') resolved += 1;
    // the request's span (tracing on) is the parent of every stage's span for these alerts
    const publishing = publishIngested(deps.publisher, header, prepared.chunks, {
      alertsJson: prepared.alertsJson,
      traceparent: requestTraceparent(req) ?? newTraceparent(),
    });
    // returned, not awaited: this function's frame (the request's alerts) ends here
    return stored(req, res, publishing, { receiptId, chunkCount, accepted: prepared.accepted, resolved, outcome, done: claimed && dedup ? { key: dedup.key, bodyHash } : undefined });
  };

  /** A request's tail once its chunks are being published: waits for JetStream, marks its dedup record done, answers. */
  const stored = async (
    req: Request,
    res: Response,
    publishing: Promise<number>,
    r: {
      receiptId: string;
      chunkCount: number;
      accepted: number;
      resolved: number;
      outcome: (prefix: string) => { status: number; message: string };
      /** The claimed dedup record to mark done. */
      done: { key: string; bodyHash: string } | undefined;
    },
  ): Promise<void> => {
    const { receiptId } = r;
    try {
      ingestActivity.published(await publishing);
    } catch (err) {
      published.inc({ result: 'failed' });
      deps.logger.warn({ err: (err as Error).message, receiptId }, 'publish failed, answered 503');
      // a dedup record stays pending: a retry publishes again under the same receipt id
      if (isStreamFull(err)) return unavailable(res, 'stream-full', 'alert stream is full, retry later');
      const message = err instanceof BusUnavailableError ? 'message bus unavailable, retry later' : 'could not store alerts, retry later';
      return unavailable(res, 'bus-unavailable', message);
    }
    published.inc({ result: 'ok' }, r.chunkCount);
    requestSpan(req)?.setAttributes({ 'nm.receipt_id': receiptId, 'nm.alerts': r.accepted, 'nm.messages': r.chunkCount });
    // counted per request, not per alert (a labelled counter hashes its labels at every call)
    if (r.accepted > r.resolved) received.inc({ status: 'firing' }, r.accepted - r.resolved);
    if (r.resolved > 0) received.inc({ status: 'resolved' }, r.resolved);
    if (r.done && deps.receipts) {
      await deps.receipts.markDone(r.done.key, receiptId, r.done.bodyHash).catch((err: unknown) => {
        if (!(err instanceof ReceiptStoreUnavailableError)) throw err;
        dedupUnavailable.inc();
        deps.logger.warn({ err: err.message, receiptId }, 'could not mark the dedup record done; a retry publishes again under the same ids');
      });
    }
    const o = r.outcome('');
    requests.inc({ code: String(o.status) });
    deps.logger.debug({ receiptId, alerts: r.accepted, chunks: r.chunkCount }, 'batch accepted');
    res.set('X-NM-Receipt-Id', receiptId);
    return reply(res, o.status, o.message);
  };

  return { accept, rejectInput, unavailable };
}
