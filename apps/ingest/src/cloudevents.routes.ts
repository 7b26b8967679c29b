import type { Express, Request, Response } from 'express';
import { effectiveSettings } from '@nm/model';
import { IngestInputError, LIMIT_ENV, normalizeAlertItems, TooManyAlertsError, type NormalizedBatch } from './alert.normalize.js';
import { cloudEventAlert, readBinaryEvent, readStructuredEvent, type CloudEvent } from './cloudevent.alert.js';
import type { SourceRouteDeps } from './source.routes.js';

export const CLOUDEVENTS_PATH = '/api/v2/cloudevents';

export type CloudEventsMode = 'structured' | 'batch' | 'binary';

const mediaType = (req: Request): string => (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();

/**
 * The request as a batch, in the mode its headers say (HTTP protocol binding of CloudEvents 1.0):
 * `application/cloudevents+json` is one structured event, `application/cloudevents-batch+json` a
 * JSON array of them, and a request with `ce-specversion` is one binary-mode event (attributes in
 * `ce-*` headers, the body its data). A plain `application/json` body holding structured events
 * (an object with `specversion`, or an array of them) is read as structured or batch too.
 * Throws IngestInputError when the request is not CloudEvents at all.
 */
export function cloudEventsBatch(req: Request, raw: Buffer, deps: Pick<SourceRouteDeps, 'snapshot' | 'limits' | 'now'>): { batch: NormalizedBatch; mode: CloudEventsMode } {
  const type = mediaType(req);
  const events: Array<CloudEvent | undefined> = [];
  const problems: string[] = [];
  let mode: CloudEventsMode;
  let prefix = '';
  if (req.get('ce-specversion') !== undefined) {
    mode = 'binary';
    const r = readBinaryEvent(req.headers, raw);
    problems.push(...r.problems);
    events.push(r.event);
  } else {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new IngestInputError(
        type === 'application/cloudevents+json' || type === 'application/cloudevents-batch+json'
          ? `body is not valid JSON: ${(err as Error).message}`
          : `not a CloudEvent: send application/cloudevents+json (structured), application/cloudevents-batch+json (batch), or ce-specversion, ce-id, ce-source and ce-type headers (binary); the body is not JSON either (${(err as Error).message})`,
      );
    }
    if (type === 'application/cloudevents-batch+json' || (type !== 'application/cloudevents+json' && Array.isArray(body))) {
      if (!Array.isArray(body)) throw new IngestInputError('a batch (application/cloudevents-batch+json) must be a JSON array of CloudEvents');
      mode = 'batch';
      prefix = '';
      if (body.length > deps.limits.maxAlerts) {
        throw new TooManyAlertsError(`body: ${body.length} CloudEvents in one request, more than the limit of ${deps.limits.maxAlerts} (${LIMIT_ENV.maxAlerts})`);
      }
      body.forEach((item, i) => {
        const r = readStructuredEvent(item, `[${i}]`);
        problems.push(...r.problems);
        events.push(r.event);
      });
    } else {
      if (type !== 'application/cloudevents+json' && !(typeof body === 'object' && body !== null && 'specversion' in body)) {
        throw new IngestInputError(
          'not a CloudEvent: send application/cloudevents+json (structured), application/cloudevents-batch+json (batch), or ce-specversion, ce-id, ce-source and ce-type headers (binary)',
        );
      }
      mode = 'structured';
      const r = readStructuredEvent(body, '');
      problems.push(...r.problems);
      events.push(r.event);
    }
  }
  const items: Array<ReturnType<typeof cloudEventAlert>> = [];
  const positions: number[] = [];
  events.forEach((e, i) => {
    if (!e) return;
    items.push(cloudEventAlert(e));
    positions.push(i);
  });
  const snapshot = deps.snapshot();
  const normalized = normalizeAlertItems(items, { now: deps.now(), cluster: effectiveSettings(snapshot.notificationManager).cluster, limits: deps.limits, prefix, positions });
  const pathOf = (index: number): string => `[${index}]`;
  return { batch: { source: 'api', ...normalized, problems: [...problems, ...normalized.problems], total: events.length, pathOf }, mode };
}

/**
 * `POST /api/v2/cloudevents`: CloudEvents in structured, batch or binary mode become alerts (the
 * mapping is in `cloudevent.alert.ts` and docs/sources.md), stored and answered as
 * `POST /api/v2/alerts` does; a malformed event is answered 400 naming the attribute.
 */
export function registerCloudEventRoutes(app: Express, deps: SourceRouteDeps): void {
  const received = deps.metrics.counter('nm_ingest_cloudevents_requests_total', 'CloudEvents requests by content mode', ['mode'] as const);
  app.post(CLOUDEVENTS_PATH, deps.raw, async (req: Request, res: Response) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // stamped on arrival, as POST /api/v2/alerts stamps its alerts, not when decoded after the dedup claim
    const receivedAt = deps.now();
    const decode = (): NormalizedBatch => {
      const result = cloudEventsBatch(req, body, { ...deps, now: () => receivedAt });
      received.inc({ mode: result.mode });
      return result.batch;
    };
    const ce = Object.entries(req.headers)
      .filter(([k]) => k.startsWith('ce-'))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}:${String(v)}`)
      .join('\n');
    return deps.acceptor.accept(req, res, decode, Buffer.concat([Buffer.from(`${CLOUDEVENTS_PATH}\n${ce}\n`), body]));
  });
}
