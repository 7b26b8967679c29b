import { GLOBAL_TENANT, DEFAULT_TENANT, receiverKey, type ReceiverRef } from '@nm/contracts';
import { inhibitedBy, type InhibitionAlert } from './inhibit.rule.js';
import { buildRoutingIndex, routeAlert, type RouteDecision, type RouteOptions, type RoutingIndex } from './route.js';
import { labelSetString } from './labels.js';
import { silencesMatching } from './silence.js';
import type { ConfigSnapshot } from './snapshot.js';

export interface RouteReport {
  /** Global Silences that would mute the alert before routing. */
  silencedBy: string[];
  /** Global InhibitRules that would mute it before routing (needs `firingSources`). */
  inhibitedBy: string[];
  /** What routing decides (computed even when the alert is muted, to show where it would go). */
  decision: RouteDecision;
  /** The same, as a readable multi-line report. */
  text: string;
}

const tenantName = (t: string): string => (t === GLOBAL_TENANT ? 'global' : t === DEFAULT_TENANT ? 'default' : `tenant ${t}`);
const ref = (r: ReceiverRef): string => `${receiverKey(r)} (${tenantName(r.tenant)})`;

/**
 * Explains what would happen to an alert: global silences and inhibition, tenants, matched Routers
 * and what they target (with cross-tenant deliveries called out), the route policy, tenant
 * silences and inhibition, receiver filters, and the receivers finally reached. Pure: pass `now`
 * for a reproducible answer. Accepts a snapshot or an already built routing index.
 */
export function explainRoute(alert: InhibitionAlert, source: ConfigSnapshot | RoutingIndex, opts: RouteOptions = {}): RouteReport {
  const index = 'byTenant' in source ? source : buildRoutingIndex(source);
  const now = opts.now ?? new Date();
  const silencedBy = silencesMatching(alert.labels, index.globalSilences, now, index.settings.timeZone).map((s) => s.metadata.name);
  const inhibited = opts.firingSources ? inhibitedBy(alert, index.globalInhibitRules, opts.firingSources) : [];
  const decision = routeAlert(alert, index, { ...opts, now });

  const lines: string[] = [`Alert ${labelSetString(alert.labels)} at ${now.toISOString()} (config revision ${index.revision})`];
  lines.push(silencedBy.length > 0 ? `Muted before routing by Silence ${silencedBy.join(', ')}` : 'Global silences: none match');
  if (opts.firingSources) lines.push(inhibited.length > 0 ? `Muted before routing by InhibitRule ${inhibited.join(', ')}` : 'Global inhibit rules: none inhibit');
  if (silencedBy.length + inhibited.length > 0) lines.push('Routing if it were not muted:');
  for (const step of decision.explain) {
    switch (step.kind) {
      case 'tenants': {
        const where = step.namespace === undefined ? 'no namespace label' : `namespace ${step.namespace} in cluster ${step.cluster}`;
        const how = {
          'no-namespace': 'global receivers only',
          namespace: 'the namespace is the tenant',
          lookup: 'tenant lookup',
          'lookup-failed': 'tenant lookup failed: global receivers only',
        }[step.source];
        lines.push(`Tenants: ${step.tenants.length > 0 ? step.tenants.join(', ') : 'none'} (${where}; ${how})`);
        break;
      }
      case 'routers':
        lines.push(`Routers matched: ${step.matched.length > 0 ? step.matched.join(', ') : 'none'}`);
        break;
      case 'router-receivers':
        lines.push(`  Router ${step.router} targets: ${step.receivers.length > 0 ? step.receivers.map(ref).join(', ') : 'nothing'}`);
        break;
      case 'cross-tenant':
        lines.push(
          `  Cross-tenant: Router ${step.router} sends this alert to ${ref(step.receiver)}, a tenant it does not belong to (alert tenants: ${step.alertTenants.join(', ') || 'none'})`,
        );
        break;
      case 'policy':
        lines.push(`Policy ${step.policy}: ${step.reason}`);
        break;
      case 'silenced':
        lines.push(`Silenced for ${ref(step.receiver)} by ${step.silences.join(', ')}`);
        break;
      case 'inhibited':
        lines.push(`Inhibited for ${ref(step.receiver)} by ${step.rules.join(', ')}`);
        break;
      case 'filtered':
        lines.push(`Filtered out ${ref(step.receiver)}: ${step.reason === 'disabled' ? 'receiver disabled' : 'alertSelector does not match'}`);
        break;
    }
  }
  lines.push(`Receivers: ${decision.receivers.length > 0 ? decision.receivers.map(ref).join(', ') : 'none'}`);
  return { silencedBy, inhibitedBy: inhibited, decision, text: lines.join('\n') };
}
