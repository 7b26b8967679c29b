import { KUBE_EVENTER_FIELDS, NM_API_VERSION, type EventRule, type Receiver } from '@nm/model';

/**
 * kube-eventer's webhook sink, converted: `webhook:<url>?level=…&namespaces=…&kinds=…&reason=…
 * &method=…&header=K=V&custom_body_configmap=…&custom_body_configmap_namespace=…` becomes an
 * EventRule (its filters, plus a marker label) and a global webhook Receiver that selects only the
 * marked alerts, with kube-eventer's request: URL, method, headers, and a body template
 * reproducing kube-eventer's default body or the referenced custom one. Without `method`
 * kube-eventer sends GET with the body; a webhook here sends its body only with other methods, so
 * the Receiver uses POST then (and says so in an annotation).
 */

/** The options kube-eventer reads from a webhook sink URL; every other query parameter belongs to the URL. */
export const EVENTER_OPTIONS = ['level', 'namespaces', 'kinds', 'reason', 'method', 'header', 'custom_body_configmap', 'custom_body_configmap_namespace'] as const;

export interface EventerSink {
  /** The URL kube-eventer posts to, without its own options. */
  url: string;
  /** `level`: as given (kube-eventer filters on it only when given; the documented default is Warning). */
  level?: string;
  namespaces: string[];
  kinds: string[];
  reasons: string[];
  method?: string;
  headers: Record<string, string>;
  customBody?: { name: string; namespace: string };
}

export class SinkError extends Error {
  override readonly name = 'SinkError';
}

const values = (raw: readonly string[]): string[] =>
  raw
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');

/**
 * Parses a sink string as kube-eventer does (`--sink=` and `webhook:` prefixes optional). A
 * `&` where the query should start (`webhook:<url>&level=…`, as kube-eventer's README writes it)
 * is read as `?`. Comma-separated values are split (`namespaces`, `kinds`, every `reason`).
 */
export function parseEventerSink(sink: string): EventerSink {
  let text = sink.trim().replace(/^--sink=/, '');
  const colon = text.indexOf(':');
  const kind = colon === -1 ? '' : text.slice(0, colon);
  if (kind !== 'webhook') throw new SinkError(`not a kube-eventer webhook sink (expected webhook:<url>?options), got ${JSON.stringify(sink)}`);
  text = text.slice(colon + 1);
  if (!text.includes('?') && text.includes('&')) text = text.replace('&', '?');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SinkError(`the webhook URL does not parse: ${JSON.stringify(text)}`);
  }
  if (!/^https?:$/.test(url.protocol) || url.host === '') throw new SinkError(`the webhook URL needs an http(s) scheme and a host, got ${JSON.stringify(text)}`);
  const q = url.searchParams;
  const all = (name: string): string[] => q.getAll(name);
  const headers: Record<string, string> = {};
  for (const h of all('header')) {
    const eq = h.indexOf('=');
    if (eq <= 0) throw new SinkError(`header must be Name=Value, got ${JSON.stringify(h)}`);
    headers[h.slice(0, eq)] = h.slice(eq + 1);
  }
  const out: EventerSink = {
    url: '',
    namespaces: values(all('namespaces')),
    kinds: values(all('kinds')),
    reasons: values(all('reason')),
    headers,
  };
  const level = q.get('level');
  if (level !== null) {
    if (level !== 'Warning' && level !== 'Normal') throw new SinkError(`level must be Warning or Normal, got ${JSON.stringify(level)}`);
    out.level = level;
  }
  const method = q.get('method');
  if (method !== null) {
    if (!/^[A-Za-z]+$/.test(method)) throw new SinkError(`method must be an HTTP method, got ${JSON.stringify(method)}`);
    out.method = method.toUpperCase();
  }
  const cm = q.get('custom_body_configmap');
  if (cm !== null && cm !== '') out.customBody = { name: cm, namespace: q.get('custom_body_configmap_namespace') || 'default' };
  for (const o of EVENTER_OPTIONS) q.delete(o);
  out.url = url.toString();
  return out;
}

/** kube-eventer's default request body (its `defaultBodyTemplate`, Go text/template over the core/v1 Event). */
export const EVENTER_DEFAULT_BODY = `
{
	"EventType": "{{ .Type }}",
	"EventKind": "{{ .InvolvedObject.Kind }}",
	"EventReason": "{{ .Reason }}",
	"EventTime": "{{ .LastTimestamp }}",
	"EventMessage": "{{ .Message }}"
}`;

export interface BodyTranslation {
  /** The body of one event, in mustache over one alert (inside `{{#alerts}}`). */
  perAlert: string;
  /** What could not be translated, with the line. */
  problems: string[];
}

/**
 * Translates a kube-eventer body template (Go text/template over the core/v1 Event) into mustache
 * over an event alert: `{{ .Field }}` → the label or annotation that carries it
 * ({@link KUBE_EVENTER_FIELDS}), `{{ printf "%q" .Field }}` → a quoted JSON string, `{{-`/`-}}`
 * trimming kept. Anything else (conditions, ranges, other functions, fields the exporter does not
 * carry) is a problem naming the action and its line: such a template is rewritten by hand.
 * Values are JSON-escaped when the webhook body is rendered (kube-eventer removed `"` from the
 * message instead; both keep the JSON valid).
 */
export function translateEventerBody(goTemplate: string): BodyTranslation {
  const problems: string[] = [];
  const parts: string[] = [];
  const action = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;
  let last = 0;
  let trimNext = false;
  for (let m = action.exec(goTemplate); m !== null; m = action.exec(goTemplate)) {
    let text = goTemplate.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1]) text = text.replace(/\s+$/, '');
    parts.push(text);
    trimNext = m[3] !== undefined;
    last = m.index + m[0].length;
    const line = goTemplate.slice(0, m.index).split('\n').length;
    const a = m[2]!.trim();
    let f: RegExpExecArray | null;
    if ((f = /^\.([A-Za-z][A-Za-z0-9.]*)$/.exec(a))) {
      const target = KUBE_EVENTER_FIELDS[f[1]!];
      if (target) parts.push(`{{${target}}}`);
      else problems.push(`line ${line}: {{ ${a} }}: the exporter does not carry .${f[1]}; it carries ${Object.keys(KUBE_EVENTER_FIELDS).map((k) => `.${k}`).join(', ')}`);
    } else if ((f = /^printf\s+"%q"\s+\.([A-Za-z][A-Za-z0-9.]*)$/.exec(a))) {
      const target = KUBE_EVENTER_FIELDS[f[1]!];
      if (target) parts.push(`"{{${target}}}"`);
      else problems.push(`line ${line}: {{ ${a} }}: the exporter does not carry .${f[1]}`);
    } else if (!(a.startsWith('/*') && a.endsWith('*/'))) {
      problems.push(`line ${line}: {{ ${a} }} cannot be translated (only {{ .Field }} and {{ printf "%q" .Field }} are); rewrite it in mustache (docs/templates.md)`);
    }
  }
  let tail = goTemplate.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  if (tail.includes('{{')) problems.push(`line ${goTemplate.slice(0, goTemplate.lastIndexOf('{{')).split('\n').length}: {{ without }}`);
  parts.push(tail);
  return { perAlert: parts.join(''), problems };
}

/**
 * The webhook body template: one event per notification gives exactly kube-eventer's body; a
 * notification of several events (grouped because they arrived together) gives a JSON array of
 * those bodies.
 */
export function webhookBodyTemplate(perAlert: string): string {
  return `{{#single}}{{#alerts}}{{keepLine}}${perAlert}{{/alerts}}{{/single}}{{#multiple}}[{{#alerts}}{{keepLine}}${perAlert}{{^last}},{{/last}}{{/alerts}}\n]{{/multiple}}`;
}

/** A name usable as a label name (`eventer_<name>` marks the alerts of one sink). */
export const markerLabelOf = (name: string): string => `eventer_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

export interface MigrationOptions {
  /** Base name of the EventRule and the Receiver. */
  name: string;
  /** The custom body ConfigMap's `content`, when the sink names one. */
  customBody?: string;
}

export interface Migration {
  eventRule: EventRule;
  receiver: Receiver;
  problems: string[];
}

/** The EventRule and webhook Receiver of one sink. */
export function migrateEventerSink(sink: EventerSink, opts: MigrationOptions): Migration {
  const marker = markerLabelOf(opts.name);
  const problems: string[] = [];
  let perAlert: string;
  if (sink.customBody) {
    if (opts.customBody === undefined) {
      problems.push(
        `custom_body_configmap names ConfigMap ${sink.customBody.namespace}/${sink.customBody.name}: pass it with --configmap FILE (kubectl get configmap -n ${sink.customBody.namespace} ${sink.customBody.name} -o yaml > FILE)`,
      );
      perAlert = translateEventerBody(EVENTER_DEFAULT_BODY).perAlert;
    } else {
      const t = translateEventerBody(opts.customBody);
      problems.push(...t.problems.map((p) => `ConfigMap ${sink.customBody!.namespace}/${sink.customBody!.name} key content, ${p}`));
      perAlert = t.perAlert;
    }
  } else {
    perAlert = translateEventerBody(EVENTER_DEFAULT_BODY).perAlert;
  }
  const events: NonNullable<EventRule['spec']['events']> = { level: sink.level ?? 'Warning' };
  if (sink.namespaces.length > 0) events.namespaces = sink.namespaces;
  if (sink.kinds.length > 0) events.kinds = sink.kinds;
  if (sink.reasons.length > 0) events.reasons = sink.reasons;
  const eventRule: EventRule = {
    apiVersion: NM_API_VERSION,
    kind: 'EventRule',
    metadata: { name: opts.name, annotations: { 'notification.kubesphere.io/migrated-from': 'kube-eventer webhook sink' } },
    spec: { events, labels: { [marker]: 'true' } },
  };
  const receiver: Receiver = {
    apiVersion: NM_API_VERSION,
    kind: 'Receiver',
    metadata: {
      name: opts.name,
      labels: { type: 'global' },
      ...(sink.method === undefined
        ? { annotations: { 'notification.kubesphere.io/migrated-method': "kube-eventer's default GET with a body; POST here (a webhook sends no body with GET)" } }
        : {}),
    },
    spec: {
      webhook: {
        url: sink.url,
        method: sink.method ?? 'POST',
        ...(Object.keys(sink.headers).length > 0 ? { headers: sink.headers } : {}),
        alertSelector: { matchLabels: { [marker]: 'true' } },
        template: webhookBodyTemplate(perAlert),
      },
    },
  };
  return { eventRule, receiver, problems };
}
