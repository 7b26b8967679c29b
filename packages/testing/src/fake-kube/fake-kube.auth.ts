/**
 * TokenReview and SubjectAccessReview for the fake API server: tokens are registered users, and
 * access is decided by the RBAC objects stored in the fake (Roles, ClusterRoles, RoleBindings,
 * ClusterRoleBindings), with the API server's rule semantics (wildcards, `resource/subresource`,
 * `*​/subresource`, resourceNames, nonResourceURLs with a trailing `*`, a RoleBinding granting only
 * in its namespace, `system:masters` allowed everything).
 */

/** The user a token stands for (what TokenReview answers). */
export interface FakeKubeUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  /** The token's audiences (default: the API server's, `https://kubernetes.default.svc.cluster.local`). */
  audiences?: string[];
}

export const FAKE_KUBE_API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

/** `spec` of a SubjectAccessReview. */
export interface AccessReviewSpec {
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
  resourceAttributes?: {
    namespace?: string;
    verb?: string;
    group?: string;
    version?: string;
    resource?: string;
    subresource?: string;
    name?: string;
  };
  nonResourceAttributes?: { path?: string; verb?: string };
}

export interface AccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

/** The stored RBAC objects the review reads. */
export interface RbacObjects {
  roles: Array<{ metadata: { name: string; namespace?: string }; rules?: PolicyRule[] }>;
  clusterRoles: Array<{ metadata: { name: string }; rules?: PolicyRule[] }>;
  roleBindings: Array<{ metadata: { name: string; namespace?: string }; roleRef?: { kind?: string; name?: string }; subjects?: Subject[] }>;
  clusterRoleBindings: Array<{ metadata: { name: string }; roleRef?: { kind?: string; name?: string }; subjects?: Subject[] }>;
}

const has = (list: readonly string[] | undefined, value: string): boolean => (list ?? []).includes('*') || (list ?? []).includes(value);

function subjectMatches(s: Subject, spec: AccessReviewSpec, bindingNamespace: string | undefined): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === spec.user;
    case 'Group':
      return s.name !== undefined && (spec.groups ?? []).includes(s.name);
    case 'ServiceAccount':
      return spec.user === `system:serviceaccount:${s.namespace ?? bindingNamespace ?? ''}:${s.name ?? ''}`;
    default:
      return false;
  }
}

function ruleAllows(rule: PolicyRule, spec: AccessReviewSpec): boolean {
  const ra = spec.resourceAttributes;
  if (ra) {
    const verb = ra.verb ?? '';
    const resource = ra.resource ?? '';
    const combined = ra.subresource ? `${resource}/${ra.subresource}` : resource;
    const resources = rule.resources ?? [];
    const resourceOk =
      resources.includes('*') || resources.includes(combined) || (ra.subresource !== undefined && ra.subresource !== '' && resources.includes(`*/${ra.subresource}`));
    const names = rule.resourceNames ?? [];
    const nameOk = names.length === 0 || (ra.name !== undefined && names.includes(ra.name));
    return has(rule.verbs, verb) && has(rule.apiGroups, ra.group ?? '') && resourceOk && nameOk;
  }
  const nr = spec.nonResourceAttributes;
  if (!nr) return false;
  const path = nr.path ?? '';
  const urlOk = (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));
  return has(rule.verbs, nr.verb ?? '') && urlOk;
}

/** Decides a SubjectAccessReview from the RBAC objects, as the API server's RBAC authorizer does. */
export function reviewAccess(spec: AccessReviewSpec, rbac: RbacObjects): AccessReviewStatus {
  if ((spec.groups ?? []).includes('system:masters')) return { allowed: true, reason: 'member of system:masters' };
  const namespace = spec.resourceAttributes?.namespace ?? '';
  const clusterRole = (name: string | undefined) => rbac.clusterRoles.find((r) => r.metadata.name === name);
  for (const b of rbac.clusterRoleBindings) {
    if (b.roleRef?.kind !== 'ClusterRole' || !(b.subjects ?? []).some((s) => subjectMatches(s, spec, undefined))) continue;
    if ((clusterRole(b.roleRef.name)?.rules ?? []).some((r) => ruleAllows(r, spec)))
      return { allowed: true, reason: `RBAC: allowed by ClusterRoleBinding "${b.metadata.name}" of ClusterRole "${b.roleRef.name}"` };
  }
  // RoleBindings grant only requests in their own namespace (never cluster-wide or non-resource ones)
  if (namespace !== '' && spec.resourceAttributes) {
    for (const b of rbac.roleBindings) {
      if (b.metadata.namespace !== namespace || !(b.subjects ?? []).some((s) => subjectMatches(s, spec, b.metadata.namespace))) continue;
      const rules =
        b.roleRef?.kind === 'ClusterRole'
          ? clusterRole(b.roleRef.name)?.rules
          : rbac.roles.find((r) => r.metadata.name === b.roleRef?.name && r.metadata.namespace === namespace)?.rules;
      if ((rules ?? []).some((r) => ruleAllows(r, spec)))
        return { allowed: true, reason: `RBAC: allowed by RoleBinding "${b.metadata.name}/${namespace}" of ${b.roleRef?.kind} "${b.roleRef?.name}"` };
    }
  }
  return { allowed: false };
}

/** What a TokenReview answers for a token, given the registered users. */
export function reviewToken(
  token: string,
  audiences: readonly string[] | undefined,
  users: ReadonlyMap<string, FakeKubeUser>,
): { authenticated: boolean; user?: Omit<FakeKubeUser, 'audiences'>; audiences?: string[]; error?: string } {
  const u = users.get(token);
  if (!u) return { authenticated: false, error: 'invalid bearer token' };
  const tokenAudiences = u.audiences ?? [FAKE_KUBE_API_AUDIENCE];
  let granted = tokenAudiences;
  if (audiences && audiences.length > 0) {
    granted = audiences.filter((a) => tokenAudiences.includes(a));
    if (granted.length === 0) return { authenticated: false, error: `token audiences ${JSON.stringify(tokenAudiences)} is invalid for the target audiences ${JSON.stringify(audiences)}` };
  }
  const user: Omit<FakeKubeUser, 'audiences'> = { username: u.username, uid: u.uid ?? `uid-${u.username}`, groups: [...(u.groups ?? []), 'system:authenticated'] };
  if (u.extra) user.extra = u.extra;
  return { authenticated: true, user, audiences: granted };
}
