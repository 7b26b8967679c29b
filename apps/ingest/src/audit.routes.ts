import type { Express, Request, Response } from 'express';
import { auditRules, effectiveSettings, isPlainObject, matchesAuditFilter, ruleLabelsOf } from '@nm/model';
import { IngestInputError, normalizeAlertItems, TooManyAlertsError, LIMIT_ENV, type NormalizedBatch } from './alert.normalize.js';
import { AUDIT_API_VERSIONS, auditAlert, auditFactsOf, readAuditEvent } from './audit.alert.js';
import type { SourceRouteDeps } from './source.routes.js';

export const AUDIT_PATH = '/api/v2/audit';

/**
 * The request as a batch: the EventList's items validated (each invalid one named), filtered by the
 * EventRules with an `audit` section (default: writes, at ResponseComplete or Panic), the rest
 * turned into auditing alerts. Throws IngestInputError when the body is not an EventList at all.
 */
export function auditBatch(raw: Buffer, deps: Pick<SourceRouteDeps, 'snapshot' | 'limits' | 'now'>): { batch: NormalizedBatch; filtered: number } {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new IngestInputError(`body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(body)) throw new IngestInputError('body must be an audit.k8s.io/v1 EventList (what the API server\'s audit webhook backend posts)');
  const { apiVersion, kind } = body;
  let items: unknown[];
  let prefix = 'items';
  if (kind === 'EventList' && typeof apiVersion === 'string' && AUDIT_API_VERSIONS.includes(apiVersion)) {
    if (!Array.isArray(body['items'])) throw new IngestInputError(`items: ${body['items'] === undefined ? 'required' : 'must be an array of audit events'}`);
    items = body['items'];
  } else if (kind === 'Event' && typeof apiVersion === 'string' && AUDIT_API_VERSIONS.includes(apiVersion)) {
    items = [body];
    prefix = 'event';
  } else {
    throw new IngestInputError(
      `body must be an audit.k8s.io/v1 EventList (what the API server's audit webhook backend posts), got apiVersion ${JSON.stringify(apiVersion ?? null)} kind ${JSON.stringify(kind ?? null)}`,
    );
  }
  const { limits } = deps;
  if (items.length > limits.maxAlerts) throw new TooManyAlertsError(`items: ${items.length} audit events in one request, more than the limit of ${limits.maxAlerts} (${LIMIT_ENV.maxAlerts})`);

  const snapshot = deps.snapshot();
  const rules = auditRules(snapshot);
  const problems: string[] = [];
  const alerts: Array<ReturnType<typeof auditAlert>> = [];
  const positions: number[] = [];
  let filtered = 0;
  items.forEach((item, i) => {
    const path = prefix === 'event' ? 'event' : `items[${i}]`;
    const read = readAuditEvent(item, path);
    if (!read.event) return void problems.push(...read.problems);
    const facts = auditFactsOf(read.event);
    const hit = ruleLabelsOf(rules, (f) => matchesAuditFilter(f, facts));
    if (!hit) return void (filtered += 1);
    alerts.push(auditAlert(read.event, hit.labels));
    positions.push(i);
  });
  const now = deps.now();
  const normalized = normalizeAlertItems(alerts, { now, cluster: effectiveSettings(snapshot.notificationManager).cluster, limits, prefix: 'items', positions });
  return {
    batch: {
      source: 'api',
      ...normalized,
      problems: [...problems, ...normalized.problems],
      total: items.length - filtered,
      pathOf: (index: number) => (prefix === 'event' ? 'event' : `items[${index}]`),
    },
    filtered,
  };
}

/**
 * `POST /api/v2/audit`: the API server's audit webhook backend (`--audit-webhook-config-file`, a
 * kubeconfig whose server is this URL) posts `audit.k8s.io/v1` EventLists here. Answers as
 * `POST /api/v2/alerts` does: 200 once stored, 400 naming each malformed event (the valid ones are
 * kept), 413 above `NM_INGEST_MAX_ALERTS`, 503 with `Retry-After` (the API server retries).
 */
export function registerAuditRoutes(app: Express, deps: SourceRouteDeps): void {
  const filteredTotal = deps.metrics.counter('nm_ingest_events_filtered_total', 'Audit events and CloudEvents that no EventRule selected, by source', ['source'] as const);
  app.post(AUDIT_PATH, deps.raw, async (req: Request, res: Response) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // stamped on arrival, as POST /api/v2/alerts stamps its alerts, not when decoded after the dedup claim
    const receivedAt = deps.now();
    const decode = (): NormalizedBatch => {
      const result = auditBatch(body, { ...deps, now: () => receivedAt });
      if (result.filtered > 0) filteredTotal.inc({ source: 'audit' }, result.filtered);
      return result.batch;
    };
    return deps.acceptor.accept(req, res, decode, Buffer.concat([Buffer.from(`${AUDIT_PATH}\n`), body]));
  });
}
