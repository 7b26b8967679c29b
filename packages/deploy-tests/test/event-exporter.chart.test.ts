import { describe, expect, it } from '@jest/globals';
import { byKind, render, type K8sObject } from './helm.support.js';
import { schemaErrors } from './k8s.validate.js';

/** The event exporter in the chart: off by default; when enabled, a Deployment with its own account and the RBAC it needs. */
type Container = { env?: Array<{ name: string; value?: string; valueFrom?: unknown }>; [k: string]: unknown };
const podSpec = (d: K8sObject): Record<string, unknown> & { containers: Container[] } =>
  (d['spec'] as { template: { spec: Record<string, unknown> & { containers: Container[] } } }).template.spec;
const envOf = (d: K8sObject): Record<string, unknown> => Object.fromEntries((podSpec(d).containers[0]!.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const component = (o: K8sObject): string | undefined => o.metadata.labels?.['app.kubernetes.io/component'];
const rulesOf = (o: K8sObject): Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> => o['rules'] as never;

describe('event exporter in the chart', () => {
  it('is off by default: no Deployment, account or RBAC of it', () => {
    const objects = render().objects;
    expect(objects.filter((o) => component(o) === 'event-exporter')).toEqual([]);
  });

  const objects = render({ values: { eventExporter: { enabled: true, env: { NM_EVENTS_MAX_AGE: '2h' } } } }).objects;
  const mine = objects.filter((o) => component(o) === 'event-exporter');

  it('runs as its own Deployment, under its own account with a token, knowing its namespace, Lease and API', () => {
    const [d] = byKind(mine, 'Deployment');
    expect(d!.metadata.name).toBe('nm-notification-manager-event-exporter');
    expect([podSpec(d!)['serviceAccountName'], podSpec(d!)['automountServiceAccountToken']]).toEqual(['nm-notification-manager-event-exporter', true]);
    expect(envOf(d!)).toMatchObject({
      NM_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      NM_EVENTS_LEASE_NAME: 'nm-notification-manager-event-exporter',
      NM_EVENTS_API: 'core/v1',
      NM_EVENTS_MAX_AGE: '2h',
      NM_HEALTH_PORT: '8080',
    });
    expect(byKind(mine, 'ServiceAccount').map((s) => s.metadata.name)).toEqual(['nm-notification-manager-event-exporter']);
    expect(byKind(mine, 'PodDisruptionBudget')).toHaveLength(1);
  });

  it('may list and watch Events (both APIs) cluster-wide and get the involved objects of the listed kinds; a Lease in its namespace; nothing else', () => {
    const [cr] = byKind(mine, 'ClusterRole');
    expect(rulesOf(cr!)).toEqual([
      { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['pods', 'nodes', 'services', 'persistentvolumeclaims', 'persistentvolumes'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'], verbs: ['get'] },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['get'] },
    ]);
    const [role] = byKind(mine, 'Role');
    expect([role!.metadata.namespace, rulesOf(role!)]).toEqual(['monitoring', [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] }]]);
    for (const b of [...byKind(mine, 'ClusterRoleBinding'), ...byKind(mine, 'RoleBinding')]) {
      expect(b['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'nm-notification-manager-event-exporter', namespace: 'monitoring' }]);
    }
    // Secrets stay config-sync's alone.
    expect(rulesOf(cr!).flatMap((r) => r.resources)).not.toContain('secrets');
    // The other services keep their account without bindings.
    for (const d of byKind(objects, 'Deployment')) {
      if (component(d) === 'config-sync' || component(d) === 'event-exporter') continue;
      expect([d.metadata.name, podSpec(d)['automountServiceAccountToken']]).toEqual([d.metadata.name, false]);
    }
  });

  it('renders valid objects', () => {
    expect(mine.map((o) => ({ id: `${o.kind}/${o.metadata.name}`, errors: schemaErrors(o) })).filter((e) => e.errors.length > 0)).toEqual([]);
  });

  it('refuses an unknown API and a wildcard resource', () => {
    expect(() => render({ values: { eventExporter: { enabled: true, api: 'v2' } } })).toThrow(/eventExporter\/api/);
    expect(() => render({ values: { eventExporter: { enabled: true, involvedObjects: [{ apiGroups: [''], resources: ['*'] }] } } })).toThrow(/involvedObjects/);
  });
});
