import { headers, subjects, type AdmittedBatch, type Alert, type IngestedBatch } from '@nm/contracts';
import { inline, payloadLimit, publishFitted, WaitError, type HandlerContext, type Publisher, type UndecodedHandler } from '@nm/bus';
import { buildRoutingIndex, silencesMatching, type ConfigSnapshot, type InhibitRule, type RoutingIndex } from '@nm/model';
import { activeSpan, type Metrics } from '@nm/telemetry';
import type { InhibitionStore } from '@nm/config-store';

export interface SilencerDeps {
  snapshot: () => ConfigSnapshot;
  publisher: Publisher;
  inhibition: InhibitionStore;
  metrics: Metrics;
  now?: () => Date;
}

/** The silencer's handler of decoded messages (`createSilencer(deps).handle`). */
export function createSilencerHandler(deps: SilencerDeps): (batch: IngestedBatch, ctx: HandlerContext) => Promise<void> {
  return createSilencer(deps).handle;
}

/**
 * Drops alerts matched by an active global Silence or inhibited by a global InhibitRule, and
 * forwards the rest as one message. Firing/resolved sources are recorded before targets are
 * checked, so a source and its targets in the same batch already inhibit.
 *
 * `undecoded`: while there is no global Silence and no InhibitRule at all, nothing could be muted
 * or recorded, and a message that says how many alerts it carries (`Nm-Alert-Count`, set by
 * ingest) is forwarded as it came without being decoded: a quarter to a third of this stage's
 * work, in a deployment with one process per service.
 */
export function createSilencer(deps: SilencerDeps): { handle: (batch: IngestedBatch, ctx: HandlerContext) => Promise<void>; undecoded: UndecodedHandler } {
  const muted = deps.metrics.counter('nm_alerts_muted_total', 'Alerts muted, by stage, kind and object', ['stage', 'kind', 'name'] as const);
  const passed = deps.metrics.counter('nm_silencer_alerts_total', 'Alerts seen by the silencer, by outcome', ['outcome'] as const);
  const dropped = deps.metrics.counter('nm_alerts_dropped_total', 'Alerts that stop at a stage and become no notification, by stage and reason', ['stage', 'reason'] as const);
  let cached: RoutingIndex | undefined;
  const index = (): RoutingIndex => {
    const snap = deps.snapshot();
    if (!cached || cached.revision !== snap.revision) cached = buildRoutingIndex(snap);
    return cached;
  };
  /** Whether a message may be forwarded without being decoded (its count read by `alertCountOf`). */
  const accepts = (m: { header: (name: string) => string | undefined; byteLength: number }): boolean => {
    const idx = index();
    if (idx.globalSilences.length > 0 || idx.globalInhibitRules.length > 0 || idx.tenantInhibitRules.size > 0) return false;
    // inline (single process): the router takes the decoded payload, which this path has not
    if (inline.runs(subjects.alertsAdmitted) || m.byteLength > payloadLimit(deps.publisher)) return false;
    return alertCountOf(m.header) !== undefined;
  };
  const undecoded: UndecodedHandler = {
    accepts,
    handle: (ctx, header) => {
      // accepted, so the count is there; `?? 0` only for the type
      const count = alertCountOf(header) ?? 0;
      passed.inc({ outcome: 'admitted' }, count);
      activeSpan()?.setAttributes({ 'nm.alerts': count, 'nm.alerts.admitted': count, 'nm.decoded': false });
      return deps.publisher
        .publish(subjects.alertsAdmitted, undefined, {
          msgId: `adm-${ctx.msgId}`,
          encoded: ctx.input,
          handoff: false,
          alertCount: count,
          traceparent: ctx.childTraceparent,
        })
        .then(done);
    },
  };
  const handle = async (batch: IngestedBatch, ctx: HandlerContext): Promise<void> => {
    const idx = index();
    const now = deps.now?.() ?? new Date();
    const rules = idx.globalInhibitRules;
    const tenantRules: Array<{ tenant: string; rule: InhibitRule }> = [];
    for (const [tenant, list] of idx.tenantInhibitRules) for (const rule of list) tenantRules.push({ tenant, rule });
    const allRules = [...rules, ...tenantRules.map((t) => t.rule)];
    let inhibited: string[][];
    let byTenantRule: string[][];
    try {
      await deps.inhibition.recordSources(batch.alerts, allRules, now.getTime());
      inhibited = await deps.inhibition.inhibitedBy(batch.alerts, rules, now.getTime());
      byTenantRule = await deps.inhibition.inhibitedBy(batch.alerts, tenantRules.map((t) => t.rule), now.getTime());
    } catch (err) {
      // The shared inhibition state is out of reach: wait for it, without spending the retry budget.
      throw new WaitError(`inhibition state unavailable: ${(err as Error).message}`, { code: 'REDIS_UNAVAILABLE', cause: err });
    }
    const tenantOfRule = new Map(tenantRules.map((t) => [t.rule.metadata.name, t.tenant]));
    const span = activeSpan();
    const silencedBy = new Set<string>();
    const inhibitedBy = new Set<string>();
    let silencedCount = 0;
    let inhibitedCount = 0;
    const admitted = batch.alerts.filter((alert, i) => {
      const silences = silencesMatching(alert.labels, idx.globalSilences, now, idx.settings.timeZone);
      if (silences.length > 0) {
        for (const s of silences) muted.inc({ stage: 'silencer', kind: 'silence', name: s.metadata.name });
        passed.inc({ outcome: 'silenced' });
        dropped.inc({ stage: 'silencer', reason: 'silenced' });
        silencedCount += 1;
        if (span) {
          const names = silences.map((s) => s.metadata.name);
          names.forEach((n) => silencedBy.add(n));
          span.addEvent('alert silenced', { 'nm.alert.fingerprint': alert.fingerprint, 'nm.silenced_by': names });
        }
        ctx.logger.debug({ fingerprint: alert.fingerprint, silences: silences.map((s) => s.metadata.name) }, 'alert silenced');
        return false;
      }
      const rulesHit = inhibited[i] ?? [];
      if (rulesHit.length > 0) {
        for (const r of rulesHit) muted.inc({ stage: 'silencer', kind: 'inhibit', name: r });
        passed.inc({ outcome: 'inhibited' });
        dropped.inc({ stage: 'silencer', reason: 'inhibited' });
        inhibitedCount += 1;
        if (span) {
          rulesHit.forEach((n) => inhibitedBy.add(n));
          span.addEvent('alert inhibited', { 'nm.alert.fingerprint': alert.fingerprint, 'nm.inhibited_by': rulesHit });
        }
        ctx.logger.debug({ fingerprint: alert.fingerprint, rules: rulesHit }, 'alert inhibited');
        return false;
      }
      return true;
    });
    if (admitted.length > 0) passed.inc({ outcome: 'admitted' }, admitted.length); // once per message, not per alert
    span?.setAttributes({
      'nm.alerts': batch.alerts.length,
      'nm.alerts.admitted': admitted.length,
      'nm.alerts.silenced': silencedCount,
      'nm.alerts.inhibited': inhibitedCount,
      'nm.silenced_by': [...silencedBy],
      'nm.inhibited_by': [...inhibitedBy],
    });
    if (admitted.length === 0) return;
    const tenantInhibitions: NonNullable<AdmittedBatch['tenantInhibitions']> = {};
    batch.alerts.forEach((alert, i) => {
      const hits = (byTenantRule[i] ?? []).map((rule) => ({ tenant: tenantOfRule.get(rule) ?? '', rule }));
      if (hits.length > 0 && admitted.includes(alert)) tenantInhibitions[alert.id] = hits;
    });
    const msgId = (k: number, count: number): string => (count === 1 ? `adm-${ctx.msgId}` : `adm-${ctx.msgId}.${k}`);
    const limit = payloadLimit(deps.publisher);
    if (ctx.input && ctx.input.byteLength <= limit && admitted.length === batch.alerts.length && Object.keys(tenantInhibitions).length === 0) {
      // Nothing muted, nothing to add: the output is the input, byte for byte, not serialised again.
      // Returned, not awaited (here and below): no suspended frame keeps the batch while the next
      // stages run inline (single process) and the aggregator holds the message.
      return deps.publisher.publish(subjects.alertsAdmitted, batch, { msgId: msgId(0, 1), encoded: ctx.input, traceparent: ctx.childTraceparent, from: ctx }).then(done);
    }
    // One message per input message, unless the output outgrew max_payload: then as few parts as fit.
    // Looking an alert's id up in an object costs about a microsecond (the engine hashes the parsed
    // string to find it): only done when some alert was inhibited by a tenant's rule.
    const inhibitedIds = Object.keys(tenantInhibitions).length;
    const build = (part: readonly Alert[]): AdmittedBatch => {
      if (inhibitedIds === 0) return { ...batch, alerts: [...part] };
      const ti: NonNullable<AdmittedBatch['tenantInhibitions']> = {};
      for (const a of part) if (tenantInhibitions[a.id]) ti[a.id] = tenantInhibitions[a.id]!;
      return { ...batch, alerts: [...part], ...(Object.keys(ti).length > 0 ? { tenantInhibitions: ti } : {}) };
    };
    return publishFitted(deps.publisher, subjects.alertsAdmitted, admitted, build, {
      msgId,
      traceparent: ctx.childTraceparent,
      from: ctx,
    }).then(done);
  };
  return { handle, undecoded };
}

const done = (): void => undefined;

/** A message's `Nm-Alert-Count`, when it says the message carries one alert or more (none: decoded, and, admitting nothing, not forwarded). */
function alertCountOf(header: (name: string) => string | undefined): number | undefined {
  const text = header(headers.alertCount);
  return text !== undefined && /^[1-9]\d{0,6}$/.test(text) ? Number(text) : undefined;
}
