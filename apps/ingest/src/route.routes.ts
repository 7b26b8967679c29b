import express, { type Express, type Request, type Response } from 'express';
import { effectiveSettings, explainRoute, type ConfigSnapshot, type RouteReport } from '@nm/model';
import { IngestInputError, normalizeAlertItems, normalizeBody, type IngestLimits, type NormalizedBatch } from './alert.normalize.js';

export interface RouteRoutesDeps {
  snapshot: () => ConfigSnapshot;
  limits: IngestLimits;
  maxBodyBytes: number;
  now: () => Date;
  reply: (res: Response, status: number, message: string) => void;
  /**
   * Whether the caller may see the receivers of `tenant` (every tenant when undefined); answers a
   * refusal itself only when `answer` is true.
   */
  allows: (req: Request, res: Response, tenant: string | undefined) => Promise<boolean>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The alerts of a route request: the bodies ingest takes, or (as before) one alert object. */
function alertsOf(body: Buffer, snap: ConfigSnapshot, deps: RouteRoutesDeps): { batch: NormalizedBatch; single: boolean } {
  const cluster = effectiveSettings(snap.notificationManager).cluster;
  const opts = { now: deps.now(), cluster, limits: deps.limits };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new IngestInputError(`body is not valid JSON: ${(err as Error).message}`);
  }
  if (isRecord(parsed) && !('alerts' in parsed)) {
    // one alert `{labels, annotations?, ...}`, the body this endpoint took first
    return { batch: { source: 'api', ...normalizeAlertItems([parsed], { ...opts, prefix: '' }) }, single: true };
  }
  return { batch: normalizeBody(body, opts), single: false };
}

/**
 * `POST /api/v2/route`: which receivers each alert reaches and why, without sending anything.
 * Takes what `POST /api/v2/alerts` takes (an Alertmanager webhook payload or an array of alerts,
 * normalised the same way, so the `cluster` label is set as ingest sets it) and answers one report
 * per alert: `{revision, alerts: [{index, labels, silencedBy, inhibitedBy, decision, text}]}`.
 * A single alert object is still answered with its one report, as before. A caller allowed to see
 * every receiver gets the whole reports; any other caller gets, per alert, only the receivers of
 * the tenants it may see (`{revision, scope: "tenant", alerts: [{index, decision: {receivers}}]}`).
 */
export function registerRouteRoutes(app: Express, deps: RouteRoutesDeps): void {
  const raw = express.raw({ type: () => true, limit: deps.maxBodyBytes });
  app.post('/api/v2/route', raw, async (req: Request, res: Response) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const snap = deps.snapshot();
    let parsed: { batch: NormalizedBatch; single: boolean };
    try {
      parsed = alertsOf(body, snap, deps);
    } catch (err) {
      if (err instanceof IngestInputError) return deps.reply(res, err.status, err.message);
      throw err;
    }
    const { batch, single } = parsed;
    if (batch.problems.length > 0) return deps.reply(res, 400, batch.problems.join('; '));
    if (batch.alerts.length === 0) return deps.reply(res, 400, 'no alerts to route');
    const now = deps.now();
    const reports: Array<RouteReport & { index: number; labels: Record<string, string> }> = batch.alerts.map((a, i) => ({
      index: batch.indexes[i]!,
      labels: a.labels,
      ...explainRoute({ labels: a.labels }, snap, { now }),
    }));

    const all = await deps.allows(req, res, undefined);
    if (res.headersSent) return;
    if (all) {
      if (single) {
        const { index: _index, labels: _labels, ...report } = reports[0]!;
        res.status(200).json({ revision: snap.revision, ...report });
      } else res.status(200).json({ revision: snap.revision, alerts: reports });
      return;
    }
    const tenants = [...new Set(reports.flatMap((r) => r.decision.receivers.map((x) => x.tenant)))];
    const visible = new Set<string>();
    for (const t of tenants) {
      if (await deps.allows(req, res, t)) visible.add(t);
      if (res.headersSent) return;
    }
    const scoped = reports.map((r) => ({ index: r.index, decision: { receivers: r.decision.receivers.filter((x) => visible.has(x.tenant)) } }));
    if (single) res.status(200).json({ revision: snap.revision, scope: 'tenant', decision: scoped[0]!.decision });
    else res.status(200).json({ revision: snap.revision, scope: 'tenant', alerts: scoped });
  });
}
