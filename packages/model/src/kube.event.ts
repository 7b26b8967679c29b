import { isPlainObject } from './labels.js';

/**
 * Kubernetes events as alerts (pure): reading a core/v1 or events.k8s.io/v1 Event, and the alert
 * labels and annotations it becomes (KubeSphere's event alert conventions).
 */

/** One Kubernetes event, from either API, in the terms the exporter and its templates use. */
export interface KubeEventView {
  uid: string;
  /** The Event object's own name and namespace. */
  name: string;
  eventNamespace: string;
  /** `Warning`, `Normal`. */
  type: string;
  reason: string;
  /** core/v1 `message`, events.k8s.io/v1 `note`. */
  message: string;
  /** The involved object (core/v1 `involvedObject`, events.k8s.io/v1 `regarding`). */
  kind: string;
  objectName: string;
  /** Empty for cluster-scoped objects (Nodes, PersistentVolumes, …). */
  objectNamespace: string;
  objectApiVersion: string;
  fieldPath: string;
  /** Reporting component (`source.component`, `reportingController`) and host. */
  source: string;
  sourceHost: string;
  action: string;
  reportingInstance: string;
  /** How many times it occurred so far (`series.count`, `count`, `deprecatedCount`; at least 1). */
  count: number;
  /** Times of the first and of the latest occurrence (`toISOString` form). */
  firstTime: string;
  lastTime: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Record<string, unknown> => (isPlainObject(v) ? v : {});
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : undefined);
/**
 * The first usable time among `vs`, as a canonical RFC 3339 string (`toISOString`, milliseconds):
 * a list through the typed client gives `Date`s where a watch gives the API's strings, and the
 * same instant must read the same either way.
 */
const firstTime = (...vs: unknown[]): string => {
  for (const v of vs) {
    const ms = v instanceof Date ? v.getTime() : typeof v === 'string' && v !== '' ? Date.parse(v) : Number.NaN;
    if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  }
  return '';
};

/**
 * Reads an Event of core/v1 (`involvedObject`, `message`, `count`, `lastTimestamp`) or
 * events.k8s.io/v1 (`regarding`, `note`, `series`, `deprecated*`); undefined when it is not one
 * (no uid or no time at all).
 */
export function readKubeEvent(raw: unknown): KubeEventView | undefined {
  if (!isPlainObject(raw)) return undefined;
  const meta = obj(raw['metadata']);
  const uid = str(meta['uid']) || (str(meta['namespace']) && str(meta['name']) ? `${str(meta['namespace'])}/${str(meta['name'])}` : '');
  if (!uid) return undefined;
  const series = obj(raw['series']);
  const newApi = raw['regarding'] !== undefined || raw['note'] !== undefined || raw['deprecatedSource'] !== undefined || str(raw['apiVersion']).startsWith('events.k8s.io/');
  const involved = obj(newApi ? raw['regarding'] : raw['involvedObject']);
  const source = obj(newApi ? raw['deprecatedSource'] : raw['source']);
  const created = meta['creationTimestamp'];
  const last = newApi
    ? firstTime(series['lastObservedTime'], raw['deprecatedLastTimestamp'], raw['eventTime'], created)
    : firstTime(series['lastObservedTime'], raw['lastTimestamp'], raw['eventTime'], raw['firstTimestamp'], created);
  if (!last) return undefined;
  const first = newApi ? firstTime(raw['deprecatedFirstTimestamp'], raw['eventTime'], created, last) : firstTime(raw['firstTimestamp'], raw['eventTime'], created, last);
  return {
    uid,
    name: str(meta['name']),
    eventNamespace: str(meta['namespace']),
    type: str(raw['type']),
    reason: str(raw['reason']),
    message: str(newApi ? raw['note'] : raw['message']),
    kind: str(involved['kind']),
    objectName: str(involved['name']),
    objectNamespace: str(involved['namespace']),
    objectApiVersion: str(involved['apiVersion']),
    fieldPath: str(involved['fieldPath']),
    source: str(source['component']) || str(raw['reportingController']) || str(raw['reportingComponent']),
    sourceHost: str(source['host']),
    action: str(raw['action']),
    reportingInstance: str(raw['reportingInstance']),
    count: int(series['count']) ?? int(newApi ? raw['deprecatedCount'] : raw['count']) ?? 1,
    firstTime: first,
    lastTime: last,
  };
}

/** One occurrence of an event: a new one when its count grows or its latest time moves. */
export const occurrenceOf = (e: Pick<KubeEventView, 'count' | 'lastTime'>): string => `${e.count}@${e.lastTime}`;

/** Involved-object kinds that get a label of their own (`pod: <name>`), as KubeSphere's alerts carry them. */
export const KIND_LABELS: Readonly<Record<string, string>> = Object.freeze({
  Pod: 'pod',
  Node: 'node',
  Deployment: 'deployment',
  StatefulSet: 'statefulset',
  DaemonSet: 'daemonset',
  ReplicaSet: 'replicaset',
  Job: 'job',
  CronJob: 'cronjob',
  Service: 'service',
  PersistentVolumeClaim: 'persistentvolumeclaim',
  PersistentVolume: 'persistentvolume',
  HorizontalPodAutoscaler: 'horizontalpodautoscaler',
  Ingress: 'ingress',
});

/** `Warning` → `warning`, `Normal` → `info`, anything else lower-cased. */
export const severityOfEventType = (type: string): string => (type === 'Warning' ? 'warning' : type === 'Normal' ? 'info' : type.toLowerCase() || 'info');

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Go's `time.Time.String()` of an RFC 3339 time, in UTC: `2024-05-01 10:00:00 +0000 UTC`, with
 * the fraction the input has (trailing zeros dropped, as Go prints `.999999999`). This is how
 * kube-eventer prints `{{ .LastTimestamp }}` and how KubeSphere's audit alerts carry
 * `requestReceivedTimestamp`. Empty for an empty or invalid input.
 */
export function goTimeString(rfc3339: string): string {
  const ms = Date.parse(rfc3339);
  if (rfc3339 === '' || Number.isNaN(ms)) return '';
  const d = new Date(ms);
  const fraction = /\.(\d+)/.exec(rfc3339.replace(/^[^T ]*[T ]/, ''))?.[1]?.slice(0, 9).replace(/0+$/, '') ?? '';
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}` +
    `${fraction ? `.${fraction}` : ''} +0000 UTC`
  );
}

/** The labels and annotations of a Kubernetes event's alert, before the matching EventRules' labels. */
export interface KubeEventAlertFields {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** When the occurrence happened (the event's latest time). */
  startsAt: string;
}

/**
 * KubeSphere's event alert shape. Labels: `alerttype: event`, `alertname` (the reason), `reason`,
 * `severity` (Warning → warning, Normal → info), `namespace` (the involved object's; absent for
 * cluster-scoped objects, which reach global receivers only), `kind` and `name` of the involved
 * object, and `<kind>: <name>` for the kinds of {@link KIND_LABELS}. Annotations: `message`,
 * `source` (the reporting component), `count`, `eventType`, `eventTime` and `firstTime` (Go time
 * format, UTC), `eventName`, and `fieldPath`, `sourceHost`, `action`, `reportingInstance` when set.
 */
export function kubeEventAlertFields(e: KubeEventView): KubeEventAlertFields {
  const labels: Record<string, string> = {
    alerttype: 'event',
    alertname: e.reason || 'KubernetesEvent',
    severity: severityOfEventType(e.type),
  };
  if (e.reason) labels['reason'] = e.reason;
  if (e.objectNamespace) labels['namespace'] = e.objectNamespace;
  if (e.kind) labels['kind'] = e.kind;
  if (e.objectName) labels['name'] = e.objectName;
  const kindLabel = KIND_LABELS[e.kind];
  if (kindLabel && e.objectName) labels[kindLabel] = e.objectName;
  const annotations: Record<string, string> = {
    message: e.message,
    source: e.source,
    count: String(e.count),
    eventType: e.type,
    eventTime: goTimeString(e.lastTime),
    firstTime: goTimeString(e.firstTime),
    eventName: e.name,
  };
  if (e.fieldPath) annotations['fieldPath'] = e.fieldPath;
  if (e.sourceHost) annotations['sourceHost'] = e.sourceHost;
  if (e.action) annotations['action'] = e.action;
  if (e.reportingInstance) annotations['reportingInstance'] = e.reportingInstance;
  for (const k of Object.keys(annotations)) if (annotations[k] === '') delete annotations[k];
  return { labels, annotations, startsAt: e.lastTime };
}

/**
 * kube-eventer renders its webhook body from the core/v1 Event (`{{ .Type }}`,
 * `{{ .InvolvedObject.Kind }}`, …); here the same values are the alert's labels and annotations.
 * This table maps each Event field to the mustache name that prints it inside `{{#alerts}}`.
 */
export const KUBE_EVENTER_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  Type: 'annotations.eventType',
  Reason: 'labels.reason',
  Message: 'annotations.message',
  LastTimestamp: 'annotations.eventTime',
  FirstTimestamp: 'annotations.firstTime',
  EventTime: 'annotations.eventTime',
  Count: 'annotations.count',
  Name: 'annotations.eventName',
  'ObjectMeta.Name': 'annotations.eventName',
  Namespace: 'labels.namespace',
  'ObjectMeta.Namespace': 'labels.namespace',
  'InvolvedObject.Kind': 'labels.kind',
  'InvolvedObject.Name': 'labels.name',
  'InvolvedObject.Namespace': 'labels.namespace',
  'InvolvedObject.FieldPath': 'annotations.fieldPath',
  'Source.Component': 'annotations.source',
  'Source.Host': 'annotations.sourceHost',
  ReportingController: 'annotations.source',
  ReportingInstance: 'annotations.reportingInstance',
  Action: 'annotations.action',
});
