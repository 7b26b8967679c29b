import type { RoleBinding } from './crd/core.schema.js';
import type { Labels } from './selector.js';
import type { EffectiveSettings } from './snapshot.js';
import { DEFAULT_TENANT, GLOBAL_TENANT } from '@nm/contracts';

/** Answers "which tenants (users) may see namespace X of cluster Y"; `undefined` = the lookup failed. */
export type TenantsOfNamespace = (cluster: string, namespace: string) => readonly string[] | undefined;

const isPseudo = (t: string): boolean => t === GLOBAL_TENANT || t === DEFAULT_TENANT;

export type TenantSource =
  /** The alert has no `namespace` label: global receivers only. */
  | 'no-namespace'
  /** tenantKey `namespace`: the namespace is the tenant. */
  | 'namespace'
  /** Tenants from the lookup (a sidecar-compatible service or RoleBindings). */
  | 'lookup'
  /** The lookup failed or none is configured: global receivers only. */
  | 'lookup-failed';

export interface AlertTenants {
  cluster: string;
  namespace: string | undefined;
  tenants: string[];
  source: TenantSource;
}

/**
 * The tenants an alert belongs to (reference §2.4 step 3, §6): none without a `namespace` label;
 * the namespace itself for tenantKey `namespace`; otherwise the users `lookup` returns for
 * `(cluster, namespace)` where `cluster` is the alert's `cluster` label or this cluster's name.
 * The pseudo-tenant ids are never returned, whatever the lookup says.
 */
export function tenantsOfAlert(labels: Labels, settings: Pick<EffectiveSettings, 'tenantKey' | 'cluster'>, lookup?: TenantsOfNamespace): AlertTenants {
  const cluster = labels['cluster'] || settings.cluster;
  const namespace = labels['namespace'] || undefined;
  if (namespace === undefined) return { cluster, namespace, tenants: [], source: 'no-namespace' };
  if (settings.tenantKey === 'namespace') {
    return { cluster, namespace, tenants: isPseudo(namespace) ? [] : [namespace], source: 'namespace' };
  }
  const found = lookup?.(cluster, namespace);
  if (found === undefined) return { cluster, namespace, tenants: [], source: 'lookup-failed' };
  const tenants = [...new Set(found)].filter((t) => t !== '' && !isPseudo(t));
  return { cluster, namespace, tenants, source: 'lookup' };
}

/**
 * Namespace → user names bound in it by RoleBindings (subjects of kind `User`), for tenantKey
 * `user` without a tenant sidecar. RoleBindings without a namespace are skipped. Users are
 * sorted and unique per namespace.
 */
export function namespaceUsersFromRoleBindings(roleBindings: readonly RoleBinding[]): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (const rb of roleBindings) {
    const ns = rb.metadata.namespace;
    if (!ns) continue;
    for (const subject of rb.subjects ?? []) {
      if (subject.kind !== 'User' || !subject.name) continue;
      let set = sets.get(ns);
      if (!set) sets.set(ns, (set = new Set()));
      set.add(subject.name);
    }
  }
  return new Map([...sets].map(([ns, users]) => [ns, [...users].sort()]));
}
