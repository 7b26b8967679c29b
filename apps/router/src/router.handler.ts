import { receiverKey, subjects, type AdmittedBatch, type Alert, type ReceiverRef, type RoutedBatch } from '@nm/contracts';
import { publishFitted, type HandlerContext, type Publisher } from '@nm/bus';
import { buildRoutingIndex, routeAlert, type ConfigSnapshot, type NotificationManager, type RoutingIndex } from '@nm/model';
import { activeSpan, type Metrics } from '@nm/telemetry';
import type { TenantSidecarClient } from './tenant.sidecar.js';

/**
 * Decides every alert's receivers and emits ONE message per input message carrying each alert
 * with the indexes of its receivers (never one message per receiver).
 */
export function createRouterHandler(deps: {
  snapshot: () => ConfigSnapshot;
  publisher: Publisher;
  metrics: Metrics;
  /** A fixed tenant sidecar (tests); otherwise `sidecarOf` picks one from the NotificationManager. */
  sidecar?: TenantSidecarClient;
  /** The tenant sidecar of the current NotificationManager (`spec.sidecars.tenant`, or an override). */
  sidecarOf?: (spec: NotificationManager['spec'] | undefined) => TenantSidecarClient | undefined;
  now?: () => Date;
}): (batch: AdmittedBatch, ctx: HandlerContext) => Promise<void> {
  const muted = deps.metrics.counter('nm_alerts_muted_total', 'Alerts muted, by stage, kind and object', ['stage', 'kind', 'name'] as const);
  const routed = deps.metrics.counter('nm_router_alerts_total', 'Alerts seen by the router, by outcome', ['outcome'] as const);
  const deliveries = deps.metrics.counter('nm_router_receiver_alerts_total', 'Alert → receiver routes, by channel', ['channel'] as const);
  const dropped = deps.metrics.counter('nm_alerts_dropped_total', 'Alerts that stop at a stage and become no notification, by stage and reason', ['stage', 'reason'] as const);
  let cached: RoutingIndex | undefined;
  return async (batch, ctx) => {
    const snap = deps.snapshot();
    if (!cached || cached.revision !== snap.revision) cached = buildRoutingIndex(snap);
    const index = cached;
    const now = deps.now?.() ?? new Date();
    let lookup: ((c: string, ns: string) => string[] | undefined) | undefined;
    const sidecar = deps.sidecar ?? deps.sidecarOf?.(snap.notificationManager?.spec);
    if (sidecar && index.settings.tenantKey !== 'namespace') {
      const pairs: Array<[string, string]> = [];
      for (const a of batch.alerts)
        if (a.labels.namespace) pairs.push([a.labels.cluster ?? index.settings.cluster, a.labels.namespace]);
      lookup = await sidecar.prefetch(pairs);
    }
    const receivers: ReceiverRef[] = [];
    // keyed by the index's own ReceiverRef objects (one per receiver): no key string per alert
    const positions = new Map<ReceiverRef, number>();
    const routes: Array<{ alert: Alert; receivers: number[] }> = [];
    let routedCount = 0;
    const perChannel = new Map<ReceiverRef['channel'], number>();
    // the decision, as attributes of the stage's span (tracing on only)
    const span = activeSpan();
    const trace = span ? { silencedBy: new Set<string>(), inhibitedBy: new Set<string>(), filtered: new Set<string>(), unrouted: 0 } : undefined;
    for (const alert of batch.alerts) {
      const decision = routeAlert(alert, index, { now, tenantsOfNamespace: lookup, explain: 'mutes' });
      const inhibitions = batch.tenantInhibitions?.[alert.id];
      let tenantInhibited = false;
      if (inhibitions && inhibitions.length > 0) {
        const tenants = new Set(inhibitions.map((h) => h.tenant));
        const before = decision.receivers.length;
        decision.receivers = decision.receivers.filter((r) => !tenants.has(r.tenant));
        tenantInhibited = decision.receivers.length < before;
        for (const h of inhibitions) {
          muted.inc({ stage: 'router', kind: 'tenant-inhibit', name: h.rule });
          trace?.inhibitedBy.add(`${h.tenant}/${h.rule}`);
        }
      }
      let tenantSilenced = false;
      let filtered = false;
      for (const step of decision.explain) {
        if (step.kind === 'silenced') {
          tenantSilenced = true;
          for (const s of step.silences) {
            muted.inc({ stage: 'router', kind: 'tenant-silence', name: s });
            trace?.silencedBy.add(s);
          }
        } else if (step.kind === 'filtered') {
          filtered = true;
          muted.inc({ stage: 'router', kind: `filter-${step.reason}`, name: receiverKey(step.receiver) });
          trace?.filtered.add(`${step.receiver.tenant}/${receiverKey(step.receiver)}: ${step.reason}`);
        }
      }
      if (decision.receivers.length === 0) {
        routed.inc({ outcome: 'no-receiver' });
        // why nothing is left: what removed receivers, else no receiver was selected at all
        const reason = tenantInhibited ? 'tenant-inhibited' : tenantSilenced ? 'tenant-silenced' : filtered ? 'filtered' : 'no-receiver';
        dropped.inc({ stage: 'router', reason });
        if (trace) {
          trace.unrouted += 1;
          span?.addEvent('alert not routed', { 'nm.alert.fingerprint': alert.fingerprint, 'nm.route.reason': reason });
        }
        ctx.logger.info({ fingerprint: alert.fingerprint, labels: alert.labels, reason }, 'alert reaches no receiver');
        continue;
      }
      routedCount += 1;
      const idx = decision.receivers.map((r) => {
        let p = positions.get(r);
        if (p === undefined) {
          p = receivers.push(r) - 1;
          positions.set(r, p);
        }
        perChannel.set(r.channel, (perChannel.get(r.channel) ?? 0) + 1);
        return p;
      });
      routes.push({ alert, receivers: idx });
    }
    // counted once per message, not once per alert
    if (routedCount > 0) routed.inc({ outcome: 'routed' }, routedCount);
    for (const [channel, n] of perChannel) deliveries.inc({ channel }, n);
    if (span && trace) {
      span.setAttributes({
        'nm.alerts': batch.alerts.length,
        'nm.alerts.routed': routes.length,
        'nm.alerts.unrouted': trace.unrouted,
        'nm.route.receivers': receivers.map((r) => `${r.tenant}/${receiverKey(r)}`),
        'nm.route.channels': [...new Set(receivers.map((r) => r.channel))],
        'nm.silenced_by': [...trace.silencedBy],
        'nm.inhibited_by': [...trace.inhibitedBy],
        'nm.route.filtered': [...trace.filtered],
      });
    }
    if (routes.length === 0) return;
    const { alerts: _alerts, tenantInhibitions: _ti, ...header } = batch;
    // One message per input message, unless it outgrew max_payload (receivers are added to every
    // alert): then as few parts as fit, each carrying only the receivers its alerts reach.
    const build = (part: readonly { alert: Alert; receivers: number[] }[]): RoutedBatch => {
      if (part.length === routes.length) return { ...header, receivers, routes };
      const local = new Map<number, number>();
      const refs: ReceiverRef[] = [];
      const partRoutes = part.map((r) => ({
        alert: r.alert,
        receivers: r.receivers.map((i) => {
          let j = local.get(i);
          if (j === undefined) {
            j = refs.push(receivers[i]!) - 1;
            local.set(i, j);
          }
          return j;
        }),
      }));
      return { ...header, receivers: refs, routes: partRoutes };
    };
    // returned, not awaited: no suspended frame keeps the routes while the aggregator holds the message (inline hops)
    return publishFitted(deps.publisher, subjects.alertsRouted, routes, build, {
      msgId: (k, count) => (count === 1 ? `rt-${ctx.msgId}` : `rt-${ctx.msgId}.${k}`),
      traceparent: ctx.childTraceparent,
      from: ctx,
    }).then(done);
  };
}

const done = (): void => undefined;
