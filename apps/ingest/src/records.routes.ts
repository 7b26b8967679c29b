import type { Express, Request, Response } from 'express';
import {
  DeadLetterSchema,
  HistoryRecordSchema,
  STAGES,
  isChannel,
  isPipelineSubject,
  payloadSchemaOf,
  streams,
  subjects,
  type Channel,
  type DeadLetter,
  type Stage,
} from '@nm/contracts';
import { BusUnavailableError, newTraceparent, type Publisher, type StoredEntry, type StreamReader } from '@nm/bus';
import type { Logger, Metrics } from '@nm/telemetry';

export interface RecordRoutesDeps {
  publisher: Publisher;
  /** The stream reader; throws BusUnavailableError while NATS is not connected. Absent: the routes answer 503. */
  streamReader?: () => StreamReader;
  logger: Logger;
  metrics: Metrics;
  now: () => Date;
  reply: (res: Response, status: number, message: string) => void;
  /**
   * Whether the caller may read `tenant`'s history; answers the refusal itself (403, or 503 when
   * authorization is unavailable) when not. Absent: everyone may.
   */
  authorizeTenant?: (req: Request, res: Response, tenant: string) => Promise<boolean>;
  /** Who made the request, for the log of replays. */
  actorOf?: (res: Response) => string;
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

type DlqStage = Stage | `sender-${Channel}`;
const isDlqStage = (v: string): v is DlqStage =>
  (STAGES as readonly string[]).includes(v) || (v.startsWith('sender-') && isChannel(v.slice('sender-'.length)));

class BadRequest extends Error {}

/** The `receiver` of a stored history record, undefined when unreadable. */
function receiverOf(e: StoredEntry): string | undefined {
  try {
    const v = (JSON.parse(e.data) as { receiver?: unknown }).receiver;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function queryString(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new BadRequest(`query parameter "${name}" must be given once`);
  return v;
}

function parseLimit(req: Request): number {
  const v = queryString(req, 'limit');
  if (v === undefined) return DEFAULT_LIST_LIMIT;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new BadRequest(`query parameter "limit" must be a positive integer, got "${v}"`);
  return Math.min(Number(v), MAX_LIST_LIMIT);
}

function parseSeq(req: Request): number {
  const v = String(req.params.seq ?? '');
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < 1)
    throw new BadRequest(`seq must be a positive integer, got "${v}"`);
  return Number(v);
}

type ParsedDeadLetter = { ok: true; value: DeadLetter } | { ok: false; error: string };
function parseDeadLetter(e: StoredEntry): ParsedDeadLetter {
  try {
    const r = DeadLetterSchema.safeParse(JSON.parse(e.data));
    return r.success ? { ok: true, value: r.data } : { ok: false, error: r.error.message };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Why a dead letter cannot be replayed, or undefined when it can. */
function replayRefusal(seq: number, dl: DeadLetter): string | undefined {
  if (dl.reason === 'invalid-payload')
    return `dead letter ${seq} was dead-lettered as invalid-payload (${dl.error}): ${dl.stage} would reject the same payload again`;
  if (dl.payloadTruncated)
    return `dead letter ${seq} keeps only ${dl.payloadTruncated.kept} of its payload's ${dl.payloadTruncated.bytes} bytes (too large to keep whole), so it cannot be replayed`;
  if (!isPipelineSubject(dl.subject))
    return `dead letter ${seq} has subject "${dl.subject}", which is not a pipeline subject (a stage input or nm.notify.<channel>)`;
  if (typeof dl.payload !== 'object' || dl.payload === null || Array.isArray(dl.payload))
    return `dead letter ${seq} does not hold a JSON object payload`;
  // stages trust what travels between them (they check only its top level): a replay is an edge
  const parsed = payloadSchemaOf(dl.subject)?.safeParse(dl.payload);
  if (parsed && !parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`);
    return `dead letter ${seq} holds a payload ${dl.subject} does not accept (${issues.join('; ')}), so it cannot be replayed`;
  }
  return undefined;
}

/**
 * Read and replay API over the DLQ and delivery history:
 * `GET /api/v2/dlq`, `GET /api/v2/dlq/:seq`, `POST /api/v2/dlq/:seq/replay`, `GET /api/v2/history`.
 */
export function registerRecordRoutes(app: Express, deps: RecordRoutesDeps): void {
  const replays = deps.metrics.counter('nm_dlq_replays_total', 'Dead letters replayed to their original subject, by stage', [
    'stage',
  ] as const);
  const replaying = new Set<number>();
  const dlqStream = streams.dlq.name;
  const historyStream = streams.history.name;

  const reader = (): StreamReader => {
    if (!deps.streamReader) throw new BusUnavailableError('no stream reader configured');
    return deps.streamReader();
  };

  /** Runs a handler, turning bad input into 400 and bus failures into 503. */
  const guarded =
    (fn: (req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await fn(req, res);
      } catch (err) {
        if (err instanceof BadRequest) return deps.reply(res, 400, err.message);
        deps.logger.warn({ err: (err as Error).message, path: req.path }, 'stream read failed, answered 503');
        return deps.reply(res, 503, 'message bus unavailable, retry later');
      }
    };

  app.get(
    '/api/v2/dlq',
    guarded(async (req, res) => {
      const stage = queryString(req, 'stage');
      if (stage !== undefined && !isDlqStage(stage))
        throw new BadRequest(`query parameter "stage" must be one of ${STAGES.join(', ')} or sender-<channel>, got "${stage}"`);
      const limit = parseLimit(req);
      const entries = await reader().latest(dlqStream, stage ? subjects.dlq(stage) : subjects.dlqAll, limit);
      const items = entries.map((e) => {
        const p = parseDeadLetter(e);
        if (!p.ok) return { seq: e.seq, time: e.time, dlqSubject: e.subject, unreadable: p.error };
        const { seq } = e;
        const { time, stage: s, reason, error, code, subject, deliveries } = p.value;
        return { seq, time, stage: s, reason, error, ...(code !== undefined ? { code } : {}), subject, deliveries };
      });
      res.status(200).json({ items });
    }),
  );

  app.get(
    '/api/v2/dlq/:seq',
    guarded(async (req, res) => {
      const seq = parseSeq(req);
      const entry = await reader().get(dlqStream, seq);
      if (!entry) return deps.reply(res, 404, `no dead letter with seq ${seq}`);
      const p = parseDeadLetter(entry);
      if (!p.ok) {
        res.status(200).json({ seq, time: entry.time, dlqSubject: entry.subject, unreadable: p.error, raw: entry.data });
        return;
      }
      res.status(200).json({ seq, ...p.value });
    }),
  );

  app.post(
    '/api/v2/dlq/:seq/replay',
    guarded(async (req, res) => {
      const seq = parseSeq(req);
      if (replaying.has(seq)) return deps.reply(res, 409, `dead letter ${seq} is being replayed already`);
      replaying.add(seq);
      try {
        const r = reader();
        const entry = await r.get(dlqStream, seq);
        if (!entry) return deps.reply(res, 404, `no dead letter with seq ${seq}`);
        const p = parseDeadLetter(entry);
        if (!p.ok) return deps.reply(res, 409, `dead letter ${seq} is not readable, cannot replay it: ${p.error}`);
        const dl = p.value;
        const refusal = replayRefusal(seq, dl);
        if (refusal) return deps.reply(res, 409, refusal);
        try {
          await deps.publisher.publish(dl.subject, dl.payload, {
            // Stable per dead letter: replaying the same one twice inside the duplicate window is stored once.
            msgId: `replay-${seq}-${Date.parse(dl.time)}`,
            traceparent: newTraceparent(),
          });
        } catch (err) {
          deps.logger.warn({ err: (err as Error).message, seq, subject: dl.subject }, 'replay publish failed, answered 503');
          return deps.reply(res, 503, `could not publish to ${dl.subject}, retry later`);
        }
        replays.inc({ stage: dl.stage });
        try {
          await r.remove(dlqStream, seq);
        } catch (err) {
          // Published already: answer success, the leftover dead letter is only a duplicate in the DLQ.
          deps.logger.warn({ err: (err as Error).message, seq }, 'replayed dead letter could not be deleted from the DLQ');
        }
        deps.logger.info({ seq, stage: dl.stage, subject: dl.subject, ...(deps.actorOf ? { by: deps.actorOf(res) } : {}) }, 'dead letter replayed');
        return deps.reply(res, 200, `replayed to ${dl.subject}`);
      } finally {
        replaying.delete(seq);
      }
    }),
  );

  app.get(
    '/api/v2/history',
    guarded(async (req, res) => {
      const tenant = queryString(req, 'tenant');
      if (tenant === undefined) throw new BadRequest('query parameter "tenant" is required');
      const channel = queryString(req, 'channel');
      if (channel !== undefined && !isChannel(channel))
        throw new BadRequest(`query parameter "channel" must be a known channel, got "${channel}"`);
      const receiver = queryString(req, 'receiver');
      const limit = parseLimit(req);
      if (deps.authorizeTenant && !(await deps.authorizeTenant(req, res, tenant))) return;
      const filter = channel ? subjects.history(tenant, channel) : subjects.historyOfTenant(tenant);
      // records of one Receiver (by name), when asked: the receiver is in the payload, not the subject
      const ofReceiver = receiver === undefined ? undefined : (e: StoredEntry): boolean => receiverOf(e) === receiver;
      const entries = (await reader().latest(historyStream, filter, limit, ofReceiver)).filter((e) => !ofReceiver || ofReceiver(e));
      const items = entries.map((e) => {
        try {
          const r = HistoryRecordSchema.safeParse(JSON.parse(e.data));
          if (r.success) return { seq: e.seq, ...r.data };
          return { seq: e.seq, time: e.time, historySubject: e.subject, unreadable: r.error.message };
        } catch (err) {
          return { seq: e.seq, time: e.time, historySubject: e.subject, unreadable: (err as Error).message };
        }
      });
      res.status(200).json({ items });
    }),
  );
}
