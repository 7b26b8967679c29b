/** Builders for the YAML manifests the e2e tests start with. */
/** `spec.aggregation` of the NotificationManager (stateful mode timing). */
export interface AggregationSpec {
  mode?: 'batch' | 'stateful' | 'auto';
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  resolveTimeout?: string;
  sendResolved?: boolean;
}

/**
 * The NotificationManager. Without `aggregation`, batch mode is forced (notification-manager's
 * semantics: every POST notified), which is what most tests assert; pass `aggregation` for stateful.
 */
export function notificationManager(
  opts: { batchMaxWait?: string; groupLabels?: string[]; routePolicy?: string; tenantKey?: string; aggregation?: AggregationSpec } = {},
): string {
  const agg = opts.aggregation ?? { mode: 'batch' };
  const aggYaml = Object.entries(agg)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `    ${k}: ${String(v)}`)
    .join('\n');
  return `apiVersion: notification.kubesphere.io/v2beta2
kind: NotificationManager
metadata:
  name: notification-manager
spec:
  defaultConfigSelector:
    matchLabels:
      type: default
  receivers:
    tenantKey: ${opts.tenantKey ?? 'namespace'}
    globalReceiverSelector:
      matchLabels:
        type: global
    tenantReceiverSelector:
      matchLabels:
        type: tenant
  groupLabels: [${(opts.groupLabels ?? ['alertname', 'namespace']).join(', ')}]
  batchMaxSize: 100
  batchMaxWait: ${opts.batchMaxWait ?? '1s'}
  routePolicy: ${opts.routePolicy ?? 'All'}
  aggregation:
${aggYaml}
`;
}

export function webhookReceiver(name: string, url: string, labels: Record<string, string>): string {
  const l = Object.entries(labels).map(([k, v]) => `    ${k}: ${v}`).join('\n');
  return `apiVersion: notification.kubesphere.io/v2beta2
kind: Receiver
metadata:
  name: ${name}
  labels:
${l}
spec:
  webhook:
    url: ${url}
`;
}

export function globalSilence(name: string, matchLabels: Record<string, string>): string {
  const l = Object.entries(matchLabels).map(([k, v]) => `      ${k}: ${v}`).join('\n');
  return `apiVersion: notification.kubesphere.io/v2beta2
kind: Silence
metadata:
  name: ${name}
  labels:
    type: global
spec:
  matcher:
    matchLabels:
${l}
`;
}

export const docs = (...parts: string[]): string => parts.join('---\n');

/** A label selector as the CRDs spell it. */
export interface SelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Match'; values?: string[]; regexValue?: string }>;
}

type YamlValue = string | number | boolean | YamlValue[] | { [k: string]: YamlValue | undefined };

/** Block YAML with every scalar written as JSON (a YAML subset), so cron strings and the like need no care. */
function yamlLines(value: YamlValue, indent: string): string[] {
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object')) return [`${indent}${JSON.stringify(value)}`];
    return value.flatMap((v) => {
      const [first = '', ...rest] = yamlLines(v, `${indent}  `);
      return [`${indent}- ${first.trimStart()}`, ...rest];
    });
  }
  if (typeof value !== 'object') return [`${indent}${JSON.stringify(value)}`];
  return Object.entries(value).flatMap(([k, v]) => {
    if (v === undefined) return [];
    if (typeof v !== 'object' || (Array.isArray(v) && v.every((x) => typeof x !== 'object'))) return [`${indent}${k}: ${JSON.stringify(v)}`];
    if (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0) return [`${indent}${k}: ${Array.isArray(v) ? '[]' : '{}'}`];
    return [`${indent}${k}:`, ...yamlLines(v, `${indent}  `)];
  });
}

const manifest = (apiVersion: string, kind: string, metadata: YamlValue, spec: YamlValue): string =>
  `${yamlLines({ apiVersion, kind, metadata, spec }, '').join('\n')}\n`;

const NM_API = 'notification.kubesphere.io/v2beta2';

/** `notificationManager(opts)` plus `spec.timeZone` (the zone Silence schedules are evaluated in). */
export function notificationManagerInZone(timeZone: string, opts: Parameters<typeof notificationManager>[0] = {}): string {
  return `${notificationManager(opts)}  timeZone: ${JSON.stringify(timeZone)}\n`;
}

/** A Router: alerts matching `alertSelector` go to the receivers its `receivers` block targets. */
export function router(
  name: string,
  alertSelector: SelectorSpec,
  receivers: { name?: string[]; regexName?: string; selector?: SelectorSpec; type?: string; channels?: Array<{ tenant: string; type?: string[] }> },
  opts: { enabled?: boolean } = {},
): string {
  return manifest(NM_API, 'Router', { name }, { enabled: opts.enabled, alertSelector: alertSelector as YamlValue, receivers: receivers as YamlValue });
}

/**
 * A Silence of any scope: `labels` decide it (`{type: global}`, or `{type: tenant, namespace: ns}` /
 * `{type: tenant, user: u}`); `schedule` (cron) and `duration` make it recurring.
 */
export function silence(
  name: string,
  labels: Record<string, string>,
  matcher: SelectorSpec,
  timing: { schedule?: string; duration?: string; startsAt?: string; enabled?: boolean } = {},
): string {
  return manifest(NM_API, 'Silence', { name, labels }, { matcher: matcher as YamlValue, ...timing });
}

/** An InhibitRule: a firing alert matching `sourceSelector` mutes alerts matching `targetSelector` that agree on `equal`. */
export function inhibitRule(
  name: string,
  labels: Record<string, string>,
  spec: { sourceSelector: SelectorSpec; targetSelector: SelectorSpec; equal?: string[] },
): string {
  return manifest(NM_API, 'InhibitRule', { name, labels }, {
    sourceSelector: spec.sourceSelector as YamlValue,
    targetSelector: spec.targetSelector as YamlValue,
    equal: spec.equal,
  });
}

/** An rbac/v1 RoleBinding in `namespace` binding `subjects` (kind User unless given) to `roleName`. */
export function roleBinding(namespace: string, name: string, subjects: Array<string | { kind: string; name: string }>, roleName = 'view'): string {
  return `${yamlLines(
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: subjects.map((s) =>
        typeof s === 'string'
          ? { kind: 'User', name: s, apiGroup: 'rbac.authorization.k8s.io' }
          : { kind: s.kind, name: s.name, ...(s.kind === 'ServiceAccount' ? { namespace } : { apiGroup: 'rbac.authorization.k8s.io' }) },
      ),
    },
    '',
  ).join('\n')}\n`;
}
