import { AUDIT_STAGES, AUDIT_WRITE_VERBS, goTimeString, isPlainObject, type AuditFacts } from '@nm/model';

/**
 * Kubernetes audit events (audit.k8s.io/v1 `Event`, as the API server's audit webhook backend posts
 * them in an `EventList`) read and turned into KubeSphere's auditing alerts.
 */

/** The API versions of `EventList` accepted (the webhook backend's, current and the one before). */
export const AUDIT_API_VERSIONS: readonly string[] = ['audit.k8s.io/v1', 'audit.k8s.io/v1beta1'];

/** One audit event, validated. */
export interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  user: string;
  groups: string[];
  sourceIPs: string[];
  userAgent: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  apiGroup: string;
  code: number | undefined;
  responseMessage: string;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
}

const rfc3339 = (v: unknown): v is string => typeof v === 'string' && v !== '' && !Number.isNaN(Date.parse(v));
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Reads one item of an EventList. Problems name the field (`items[3].verb: required`); an item
 * with a problem is not read.
 */
export function readAuditEvent(item: unknown, path: string): { event?: AuditEvent; problems: string[] } {
  const problems: string[] = [];
  if (!isPlainObject(item)) return { problems: [`${path}: must be an audit event object`] };
  const need = (field: string, ok: boolean, what: string): void => {
    if (!ok) problems.push(`${path}.${field}: ${item[field.split('.')[0]!] === undefined ? 'required' : what}`);
  };
  need('auditID', typeof item['auditID'] === 'string' && item['auditID'] !== '', 'must be a non-empty string');
  need('stage', typeof item['stage'] === 'string' && (AUDIT_STAGES as readonly string[]).includes(item['stage']), `must be one of ${AUDIT_STAGES.join(', ')}`);
  need('verb', typeof item['verb'] === 'string' && item['verb'] !== '', 'must be a non-empty string');
  need('requestReceivedTimestamp', rfc3339(item['requestReceivedTimestamp']), 'must be an RFC 3339 time');
  if (item['stageTimestamp'] !== undefined && item['stageTimestamp'] !== null && !rfc3339(item['stageTimestamp'])) problems.push(`${path}.stageTimestamp: must be an RFC 3339 time`);
  const user = item['user'];
  if (!isPlainObject(user)) problems.push(`${path}.user: ${user === undefined ? 'required' : 'must be an object'}`);
  else if (typeof user['username'] !== 'string' || user['username'] === '') problems.push(`${path}.user.username: ${user['username'] === undefined ? 'required' : 'must be a non-empty string'}`);
  const ref = item['objectRef'];
  if (ref !== undefined && ref !== null && !isPlainObject(ref)) problems.push(`${path}.objectRef: must be an object`);
  const status = item['responseStatus'];
  if (status !== undefined && status !== null && (!isPlainObject(status) || (status['code'] !== undefined && !Number.isInteger(status['code'])))) {
    problems.push(`${path}.responseStatus.code: must be an integer`);
  }
  if (problems.length > 0) return { problems };
  const u = user as Record<string, unknown>;
  const o = isPlainObject(ref) ? ref : {};
  const s = isPlainObject(status) ? status : {};
  return {
    problems,
    event: {
      auditID: str(item['auditID']),
      stage: str(item['stage']),
      verb: str(item['verb']),
      requestURI: str(item['requestURI']),
      user: str(u['username']),
      groups: strings(u['groups']),
      sourceIPs: strings(item['sourceIPs']),
      userAgent: str(item['userAgent']),
      resource: str(o['resource']),
      subresource: str(o['subresource']),
      namespace: str(o['namespace']),
      name: str(o['name']),
      apiGroup: str(o['apiGroup']),
      code: typeof s['code'] === 'number' ? s['code'] : undefined,
      responseMessage: str(s['message']),
      requestReceivedTimestamp: str(item['requestReceivedTimestamp']),
      stageTimestamp: str(item['stageTimestamp']),
    },
  };
}

/** What EventRules see of an audit event. */
export const auditFactsOf = (e: AuditEvent): AuditFacts => ({
  verb: e.verb,
  resource: e.resource,
  subresource: e.subresource,
  user: e.user,
  groups: e.groups,
  namespace: e.namespace,
  code: e.code,
  stage: e.stage,
});

/**
 * KubeSphere's auditing alert (see the `alert-auditing.json` fixture). Labels: `alerttype:
 * auditing`, `alertname` (`ResourceChange` for writes, `ResourceAccess` otherwise; EventRule labels
 * may set another), `user`, `verb`, `resource`, `subresource`, `name`, `namespace` (the object's,
 * which routes it to that tenant), `group` (the user's groups as a JSON array), and
 * `requestReceivedTimestamp` (Go time format, UTC). Annotations: `message` (`admin update configs
 * 'default-email-config'`), `auditID`, `requestURI`, `stage`, `responseCode`, `responseMessage`,
 * `sourceIPs`, `userAgent` when known. `startsAt` is the stage's time.
 */
export function auditAlert(e: AuditEvent, ruleLabels: Readonly<Record<string, string>> = {}): { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string } {
  const labels: Record<string, string> = {
    alerttype: 'auditing',
    alertname: AUDIT_WRITE_VERBS.includes(e.verb) ? 'ResourceChange' : 'ResourceAccess',
    user: e.user,
    verb: e.verb,
    group: JSON.stringify(e.groups),
    requestReceivedTimestamp: goTimeString(e.requestReceivedTimestamp),
  };
  if (e.resource) labels['resource'] = e.resource;
  if (e.subresource) labels['subresource'] = e.subresource;
  if (e.name) labels['name'] = e.name;
  if (e.namespace) labels['namespace'] = e.namespace;
  Object.assign(labels, ruleLabels);
  if (e.namespace) labels['namespace'] = e.namespace;
  else delete labels['namespace'];
  const what = e.resource ? `${e.resource}${e.subresource ? `/${e.subresource}` : ''}${e.name ? ` '${e.name}'` : ''}${e.namespace ? ` in ${e.namespace}` : ''}` : e.requestURI;
  const annotations: Record<string, string> = {
    message: `${e.user} ${e.verb} ${what}`,
    auditID: e.auditID,
    requestURI: e.requestURI,
    stage: e.stage,
    responseCode: e.code === undefined ? '' : String(e.code),
    responseMessage: e.responseMessage,
    sourceIPs: e.sourceIPs.join(','),
    userAgent: e.userAgent,
  };
  for (const k of Object.keys(annotations)) if (annotations[k] === '') delete annotations[k];
  return { labels, annotations, startsAt: e.stageTimestamp || e.requestReceivedTimestamp };
}
