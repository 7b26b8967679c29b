/** A resource type the fake API server serves. */
export interface FakeKubeResource {
  /** `''` for the core group. */
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  /** Writes to the main resource leave `status` alone; `/status` changes only `status`. */
  statusSubresource: boolean;
  shortNames?: string[];
}

export const NM_GROUP = 'notification.kubesphere.io';
export const NM_VERSION = 'v2beta2';

const nm = (kind: string, plural: string, shortNames: string[] = []): FakeKubeResource => ({
  group: NM_GROUP,
  version: NM_VERSION,
  plural,
  singular: kind.toLowerCase(),
  kind,
  namespaced: false,
  statusSubresource: true,
  shortNames,
});

/** What the fake serves: notification-manager's kinds plus InhibitRule and EventRule, the built-in kinds config-sync and ingest use, and Events and Pods for the event exporter. */
export const FAKE_KUBE_RESOURCES: readonly FakeKubeResource[] = [
  nm('NotificationManager', 'notificationmanagers', ['nm']),
  nm('Config', 'configs', ['nc']),
  nm('Receiver', 'receivers', ['nr']),
  nm('Router', 'routers'),
  nm('Silence', 'silences'),
  nm('InhibitRule', 'inhibitrules'),
  nm('EventRule', 'eventrules'),
  { group: '', version: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true, statusSubresource: false },
  { group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, statusSubresource: false, shortNames: ['cm'] },
  { group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, statusSubresource: true, shortNames: ['ns'] },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'rolebindings',
    singular: 'rolebinding',
    kind: 'RoleBinding',
    namespaced: true,
    statusSubresource: false,
  },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', singular: 'lease', kind: 'Lease', namespaced: true, statusSubresource: false },
  // RBAC kinds SubjectAccessReviews are decided by (RoleBindings above)
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', singular: 'role', kind: 'Role', namespaced: true, statusSubresource: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', singular: 'clusterrole', kind: 'ClusterRole', namespaced: false, statusSubresource: false },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'clusterrolebindings',
    singular: 'clusterrolebinding',
    kind: 'ClusterRoleBinding',
    namespaced: false,
    statusSubresource: false,
  },
  // What the event exporter reads: Events of both APIs (two separate stores here, where a real API
  // server serves one set of objects through both), and Pods as involved objects with labels.
  { group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, statusSubresource: false, shortNames: ['ev'] },
  { group: 'events.k8s.io', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, statusSubresource: false, shortNames: ['ev'] },
  { group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, statusSubresource: true, shortNames: ['po'] },
];

export const apiVersionOf = (r: FakeKubeResource): string => (r.group === '' ? r.version : `${r.group}/${r.version}`);

export function resourceFor(apiVersion: string, kind: string): FakeKubeResource | undefined {
  return FAKE_KUBE_RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

/** True for kinds the real API server lists without `apiVersion`/`kind` on each item. */
export const isBuiltIn = (r: FakeKubeResource): boolean => r.group !== NM_GROUP;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch (add, replace, remove, test); throws on a path that does not exist. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new Error('a JSON patch must be an array of operations');
  const doc = structuredClone(target);
  for (const op of ops as Array<{ op?: string; path?: string; value?: unknown }>) {
    const parts = (op.path ?? '')
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop();
    if (last === undefined) throw new Error(`invalid path ${op.path}`);
    let parent: unknown = doc;
    for (const p of parts) {
      parent = Array.isArray(parent) ? parent[Number(p)] : isRecord(parent) ? parent[p] : undefined;
      if (parent === undefined) throw new Error(`path ${op.path} does not exist`);
    }
    const container = parent as Record<string, unknown> | unknown[];
    switch (op.op) {
      case 'add':
      case 'replace':
        if (Array.isArray(container)) {
          if (last === '-') container.push(op.value);
          else if (op.op === 'add') container.splice(Number(last), 0, op.value);
          else container[Number(last)] = op.value;
        } else container[last] = op.value;
        break;
      case 'remove':
        if (Array.isArray(container)) container.splice(Number(last), 1);
        else delete container[last];
        break;
      case 'test':
        if (JSON.stringify(Array.isArray(container) ? container[Number(last)] : container[last]) !== JSON.stringify(op.value)) throw new Error(`test failed at ${op.path}`);
        break;
      default:
        throw new Error(`unsupported JSON patch operation ${String(op.op)}`);
    }
  }
  return doc;
}

type Requirement = { key: string; op: '=' | '!=' | 'exists' | '!exists' | 'in' | 'notin'; values: string[] };

/** Parses the label selector syntax of the API (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`). */
export function parseLabelSelector(selector: string): Requirement[] {
  const reqs: Requirement[] = [];
  const parts = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part))) {
      reqs.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()) });
    } else if ((m = /^([^=!]+)!=(.*)$/.exec(part))) reqs.push({ key: m[1]!.trim(), op: '!=', values: [m[2]!.trim()] });
    else if ((m = /^([^=!]+)==?(.*)$/.exec(part))) reqs.push({ key: m[1]!.trim(), op: '=', values: [m[2]!.trim()] });
    else if (part.startsWith('!')) reqs.push({ key: part.slice(1).trim(), op: '!exists', values: [] });
    else reqs.push({ key: part, op: 'exists', values: [] });
  }
  return reqs;
}

export function matchesLabels(labels: Record<string, string> | undefined, reqs: readonly Requirement[]): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case '=':
        return has && v === r.values[0];
      case '!=':
        return !has || v !== r.values[0];
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && r.values.includes(v!);
      case 'notin':
        return !has || !r.values.includes(v!);
    }
    return false;
  });
}

/** `metadata.name=x,metadata.namespace=y` (equality and inequality only, as the API supports for most kinds). */
export function matchesFields(meta: { name?: string; namespace?: string }, selector: string): boolean {
  for (const part of selector.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=!]+)(!=|==?)(.*)$/.exec(part);
    if (!m) return false;
    const field = m[1]!.trim();
    const actual = field === 'metadata.name' ? meta.name : field === 'metadata.namespace' ? (meta.namespace ?? '') : undefined;
    const eq = actual === m[3]!.trim();
    if (m[2] === '!=' ? eq : !eq) return false;
  }
  return true;
}
