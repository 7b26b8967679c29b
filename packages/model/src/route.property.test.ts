import { describe, expect, it } from '@jest/globals';
import { DEFAULT_TENANT, GLOBAL_TENANT } from '@nm/contracts';
import fc from 'fast-check';
import type { RoutePolicy } from './crd/notification-manager.schema.js';
import { buildRoutingIndex, routeAlert } from './route.js';
import { deflt, global, nm, receiver, silence, snapshot, tenant } from './test-support/builders.js';

const NAMESPACES = ['ns-a', 'ns-b', 'ns-c', 'kube-system'];
const USERS = ['alice', 'bob', 'carol', 'dave'];
const CHANNEL_SPECS = [{ webhook: { url: 'http://x' } }, { slack: { channels: ['#c'] } }, { email: { to: ['a@b'] }, webhook: { url: 'http://y' } }];

const labelsArb = fc.record(
  {
    alertname: fc.constantFrom('A', 'B'),
    namespace: fc.constantFrom(...NAMESPACES, ''),
    cluster: fc.constantFrom('default', 'east'),
    severity: fc.constantFrom('critical', 'warning'),
  },
  { requiredKeys: ['alertname'] },
);

/**
 * Tenant isolation without Routers: whatever the receivers, silences, policy and alerts, a tenant
 * receiver only ever gets alerts from a namespace its tenant can access.
 */
describe('tenant isolation (no Routers)', () => {
  it.each(['namespace', 'user'])('holds for tenantKey %s', (tenantKey) => {
    const tenants = tenantKey === 'namespace' ? NAMESPACES : USERS;
    const receiverArb = fc.record({
      scope: fc.constantFrom('global', 'tenant', 'tenant', 'default', 'none'),
      tenant: fc.constantFrom(...tenants),
      spec: fc.constantFrom(...CHANNEL_SPECS),
      enabled: fc.boolean(),
    });
    const accessArb = fc.dictionary(fc.constantFrom(...NAMESPACES), fc.subarray(USERS));
    fc.assert(
      fc.property(
        fc.array(receiverArb, { maxLength: 12 }),
        accessArb,
        fc.constantFrom<RoutePolicy>('All', 'RouterFirst', 'RouterOnly'),
        fc.array(labelsArb, { minLength: 1, maxLength: 10 }),
        fc.boolean(),
        (rs, access, routePolicy, alerts, useRoleBindingFallback) => {
          const receivers = rs.map((r, i) => {
            const labels = r.scope === 'global' ? global : r.scope === 'default' ? deflt : r.scope === 'none' ? {} : tenant(r.tenant, tenantKey);
            const spec = Object.fromEntries(Object.entries(r.spec).map(([ch, sec]) => [ch, { ...sec, enabled: r.enabled }]));
            return receiver(`r${i}`, labels, spec);
          });
          const roleBindings = Object.entries(access).map(([ns, users]) => ({
            apiVersion: 'rbac.authorization.k8s.io/v1' as const,
            kind: 'RoleBinding' as const,
            metadata: { name: `rb-${ns}`, namespace: ns },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
            subjects: users.map((u) => ({ kind: 'User', name: u })),
          }));
          const index = buildRoutingIndex(
            snapshot({
              notificationManager: nm({ routePolicy }, tenantKey),
              receivers,
              roleBindings,
              silences: [silence('mute-b', tenant(tenants[1]!, tenantKey), { matcher: { matchLabels: { alertname: 'B' } } })],
            }),
          );
          const lookup = useRoleBindingFallback ? undefined : (_c: string, ns: string) => access[ns] ?? (ns === 'kube-system' ? undefined : []);
          for (const labels of alerts) {
            const allowed = (t: string): boolean => {
              const ns = labels.namespace;
              if (!ns) return false;
              return tenantKey === 'namespace' ? t === ns : (access[ns] ?? []).includes(t);
            };
            const decision = routeAlert({ labels }, index, { tenantsOfNamespace: lookup, now: new Date(0) });
            for (const r of decision.receivers) {
              expect(r.tenant).not.toBe(DEFAULT_TENANT);
              if (r.tenant !== GLOBAL_TENANT) expect(allowed(r.tenant)).toBe(true);
              if (routePolicy === 'RouterOnly') throw new Error('RouterOnly without Routers must reach nobody');
            }
            if (routePolicy !== 'RouterOnly') {
              // Every enabled global receiver is reached.
              const globals = index.byTenant.get(GLOBAL_TENANT) ?? [];
              const expected = globals.filter((g) => g.section.enabled !== false).map((g) => g.ref);
              expect(decision.receivers.filter((r) => r.tenant === GLOBAL_TENANT)).toEqual(expected);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
