import type { AuditFilter, EventRule, KubeEventFilter } from './crd/event-rule.schema.js';
import { InvalidRegexError } from './errors.js';
import { tryCompileRegex, type CompiledRegex } from './regex.js';
import { matchesSelector, type Labels } from './selector.js';
import type { ConfigSnapshot } from './snapshot.js';
import { setLabel } from './labels.js';

/**
 * EventRule semantics (pure). A source (Kubernetes events, audit events) is governed by the enabled
 * EventRules that have its section; an event becomes an alert when at least one of them matches,
 * and gets the labels of every matching rule (in rule-name order, later names winning). With no
 * EventRule for a source at all, that source's default filter applies. Disabling every rule of a
 * source therefore stops it; deleting them restores the default.
 */

/** Kubernetes events without any EventRule: Warning events of every namespace (kube-eventer's default level). */
export const DEFAULT_KUBE_EVENT_FILTER: Readonly<KubeEventFilter> = Object.freeze({ level: 'Warning' });

/** The request verbs that change something: what audit events default to. */
export const AUDIT_WRITE_VERBS: readonly string[] = Object.freeze(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Audit events without any EventRule: writes, once per request (at ResponseComplete, or Panic). */
export const DEFAULT_AUDIT_FILTER: Readonly<AuditFilter> = Object.freeze({ verbs: [...AUDIT_WRITE_VERBS], stages: ['ResponseComplete', 'Panic'] });

/** Stages used when an audit filter names none: one alert per request. */
export const DEFAULT_AUDIT_STAGES: readonly string[] = Object.freeze(['ResponseComplete', 'Panic']);

/** Labels an EventRule cannot set: `namespace` decides the tenant and always comes from the event. */
export const PROTECTED_EVENT_LABELS: readonly string[] = Object.freeze(['namespace']);

/** `^(?:p)$`: a name or a regex matched against the whole value. An invalid pattern is returned as the error. */
export function anchoredRegex(pattern: string): CompiledRegex | InvalidRegexError {
  const r = tryCompileRegex(`^(?:${pattern})$`);
  return r instanceof InvalidRegexError ? new InvalidRegexError(pattern, r.cause) : r;
}

const wholeMatch = (pattern: string, value: string): boolean => {
  const r = anchoredRegex(pattern);
  return r instanceof InvalidRegexError ? false : r.test(value);
};
const anywhere = (pattern: string, value: string): boolean => {
  const r = tryCompileRegex(pattern);
  return r instanceof InvalidRegexError ? false : r.test(value);
};
const given = <T>(list: readonly T[] | undefined): list is readonly T[] => list !== undefined && list.length > 0;

/** What the filters see of a Kubernetes event. */
export interface KubeEventFacts {
  /** `Warning`, `Normal`. */
  type: string;
  reason: string;
  /** Namespace of the involved object (empty for cluster-scoped objects such as Nodes). */
  namespace: string;
  /** Kind of the involved object. */
  kind: string;
}

/** True when an event of `type` is at or above `level` (Normal reports both, Warning only Warning). */
export function meetsLevel(level: string | undefined, type: string): boolean {
  if (level === 'Normal') return type === 'Normal' || type === 'Warning';
  return type === 'Warning';
}

/** True when a filter needs the involved object's labels to decide. */
export const needsObjectLabels = (filter: KubeEventFilter): boolean =>
  filter.involvedObjectSelector !== undefined && (Object.keys(filter.involvedObjectSelector.matchLabels ?? {}).length > 0 || given(filter.involvedObjectSelector.matchExpressions));

/**
 * Whether a Kubernetes event passes a filter. `objectLabels` are the involved object's labels,
 * `undefined` when they are unknown (a filter with `involvedObjectSelector` then does not match).
 */
export function matchesKubeEventFilter(filter: KubeEventFilter, event: KubeEventFacts, objectLabels?: Labels): boolean {
  if (!meetsLevel(filter.level, event.type)) return false;
  if (given(filter.namespaces) && !filter.namespaces.some((p) => wholeMatch(p, event.namespace))) return false;
  if (given(filter.kinds) && !filter.kinds.includes(event.kind)) return false;
  if (given(filter.reasons) && !filter.reasons.some((p) => anywhere(p, event.reason))) return false;
  if (needsObjectLabels(filter)) return objectLabels !== undefined && matchesSelector(filter.involvedObjectSelector, objectLabels);
  return true;
}

/** What the filters see of an audit event. */
export interface AuditFacts {
  verb: string;
  /** `objectRef.resource` (empty for non-resource requests). */
  resource: string;
  subresource: string;
  user: string;
  groups: readonly string[];
  /** `objectRef.namespace`. */
  namespace: string;
  /** `responseStatus.code`, undefined when the event has none (RequestReceived). */
  code: number | undefined;
  stage: string;
}

/** `403` matches 403; `5xx` any 5xx; `40x` 400–409. */
export function matchesResponseCode(pattern: string, code: number | undefined): boolean {
  if (code === undefined || !/^[1-5][0-9x]{2}$/.test(pattern)) return false;
  const text = String(code);
  return text.length === 3 && [...pattern].every((c, i) => c === 'x' || c === text[i]);
}

export function matchesAuditFilter(filter: AuditFilter, event: AuditFacts): boolean {
  const stages = given(filter.stages) ? filter.stages : DEFAULT_AUDIT_STAGES;
  if (!stages.includes(event.stage)) return false;
  if (given(filter.verbs) && !filter.verbs.includes(event.verb)) return false;
  if (given(filter.resources)) {
    const full = event.subresource ? `${event.resource}/${event.subresource}` : event.resource;
    if (!filter.resources.some((r) => r === '*' || r === full || (r === event.resource && event.subresource === '') || r === `${event.resource}/*`)) return false;
  }
  if (given(filter.users) && !filter.users.some((p) => wholeMatch(p, event.user))) return false;
  if (given(filter.groups) && !filter.groups.some((p) => event.groups.some((g) => wholeMatch(p, g)))) return false;
  if (given(filter.namespaces) && !filter.namespaces.some((p) => wholeMatch(p, event.namespace))) return false;
  if (given(filter.responseCodes) && !filter.responseCodes.some((p) => matchesResponseCode(p, event.code))) return false;
  return true;
}

const byName = (a: EventRule, b: EventRule): number => a.metadata.name.localeCompare(b.metadata.name);
const enabled = (r: EventRule): boolean => r.spec.enabled !== false;

/** The EventRules of one source, and whether the source runs on its default filter (no rule of that source exists). */
export interface EventRuleSet<F> {
  /** Enabled rules of this source, by name. */
  rules: ReadonlyArray<{ name: string; filter: F; labels: Readonly<Record<string, string>> }>;
  /** No EventRule of this source exists: the default filter applies. */
  isDefault: boolean;
}

function ruleSet<F>(snapshot: Pick<ConfigSnapshot, 'eventRules'>, section: 'events' | 'audit', fallback: F): EventRuleSet<F> {
  const all = (snapshot.eventRules ?? []).filter((r) => r.spec[section] !== undefined).sort(byName);
  if (all.length === 0) return { rules: [{ name: '', filter: fallback, labels: {} }], isDefault: true };
  return {
    rules: all.filter(enabled).map((r) => ({ name: r.metadata.name, filter: r.spec[section] as F, labels: r.spec.labels ?? {} })),
    isDefault: false,
  };
}

export const kubeEventRules = (snapshot: Pick<ConfigSnapshot, 'eventRules'>): EventRuleSet<KubeEventFilter> => ruleSet(snapshot, 'events', DEFAULT_KUBE_EVENT_FILTER);
export const auditRules = (snapshot: Pick<ConfigSnapshot, 'eventRules'>): EventRuleSet<AuditFilter> => ruleSet(snapshot, 'audit', DEFAULT_AUDIT_FILTER);

/** Labels of the matching rules merged in rule order, without the protected ones; undefined when no rule matches. */
export function ruleLabelsOf<F>(set: EventRuleSet<F>, matches: (filter: F) => boolean): { rules: string[]; labels: Record<string, string> } | undefined {
  const hit = set.rules.filter((r) => matches(r.filter));
  if (hit.length === 0) return undefined;
  const labels: Record<string, string> = {};
  for (const r of hit) {
    for (const [k, v] of Object.entries(r.labels)) if (!PROTECTED_EVENT_LABELS.includes(k) && k !== '' && v !== '') setLabel(labels, k, v);
  }
  return { rules: hit.map((r) => r.name).filter((n) => n !== ''), labels };
}
