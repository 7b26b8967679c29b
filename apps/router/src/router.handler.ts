import { receiverKey, subjects, type AdmittedBatch, type Alert, type ReceiverRef, type RoutedBatch } from '@nm/contracts';
import { publishFitted, type HandlerContext, type Publisher } from '@nm/bus';
import { buildRoutingIndex, routeAlert, type ConfigSnapshot, type NotificationManager, type RoutingIndex } from '@nm/model';
import type { Metrics } from '@nm/telemetry';
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
    const positions = new Map<string, number>();
    const routes: Array<{ alert: Alert; receivers: number[] }> = [];
    for (const alert of batch.alerts) {
      const decision = routeAlert(alert, index, { now, tenantsOfNamespace: lookup });
      const inhibitions = batch.tenantInhibitions?.[alert.id];
      if (inhibitions && inhibitions.length > 0) {
        const tenants = new Set(inhibitions.map((h) => h.tenant));
        decision.receivers = decision.receivers.filter((r) => !tenants.has(r.tenant));
        for (const h of inhibitions) muted.inc({ stage: 'router', kind: 'tenant-inhibit', name: h.rule });
      }
      for (const step of decision.explain) {
        if (step.kind === 'silenced') for (const s of step.silences) muted.inc({ stage: 'router', kind: 'tenant-silence', name: s });
        else if (step.kind === 'filtered') muted.inc({ stage: 'router', kind: `filter-${step.reason}`, name: receiverKey(step.receiver) });
      }
      if (decision.receivers.length === 0) {
        routed.inc({ outcome: 'no-receiver' });
        ctx.logger.info({ fingerprint: alert.fingerprint, labels: alert.labels }, 'alert reaches no receiver');
        continue;
      }
      routed.inc({ outcome: 'routed' });
      const idx = decision.receivers.map((r) => {
        const k = `${r.tenant}\u0000${receiverKey(r)}`;
        let p = positions.get(k);
        if (p === undefined) {
          p = receivers.push(r) - 1;
          positions.set(k, p);
        }
        deliveries.inc({ channel: r.channel });
        return p;
      });
      routes.push({ alert, receivers: idx });
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
    await publishFitted(deps.publisher, subjects.alertsRouted, routes, build, {
      msgId: (k, count) => (count === 1 ? `rt-${ctx.msgId}` : `rt-${ctx.msgId}.${k}`),
      traceparent: ctx.childTraceparent,
    });
  };
}
