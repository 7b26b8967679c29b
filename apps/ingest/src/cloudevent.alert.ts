import { isPlainObject, setLabel } from '@nm/model';

/**
 * CloudEvents 1.0 (HTTP protocol binding: structured, batch and binary modes) read and mapped to
 * alerts by one documented rule (docs/sources.md):
 *
 * - `alertname` ← `type`; `alerttype: cloudevent`; `source` ← `source`; `subject` ← `subject`;
 * - every extension attribute (`namespace`, `severity`, `cluster`, …) becomes a label of its name,
 *   so an event routes to a tenant like an alert does (the fixed labels above win);
 * - annotations ← `data`: the top-level fields of a JSON object (strings as they are, other values
 *   as JSON), a string as `message`, any other JSON value as `data`, text as `message`, anything
 *   else base64 in `data_base64`; plus `eventId` (`id`), `eventTime` (`time`) and `dataschema`;
 * - `startsAt` ← `time`, else the receive time.
 */

export const CLOUDEVENTS_SPEC_VERSION = '1.0';
/** Attributes of the spec; every other top-level member of a structured event is an extension. */
const CONTEXT_ATTRIBUTES = new Set(['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data', 'data_base64']);
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
/** Labels the mapping sets itself; an extension of the same name is ignored. */
const FIXED_LABELS = new Set(['alertname', 'alerttype', 'source', 'subject']);

/** One CloudEvent with its data, however it arrived. */
export interface CloudEvent {
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  /** Extension attributes, as strings. */
  extensions: Record<string, string>;
  /** Structured: the parsed `data` member; binary: the body (parsed when JSON). */
  data?: { json: unknown } | { text: string } | { bytes: Buffer };
}

const isJsonType = (t: string | undefined): boolean => t === undefined || /^application\/(.+\+)?json\b/i.test(t) || /^text\/json\b/i.test(t);
const isTextType = (t: string | undefined): boolean => t !== undefined && /^text\//i.test(t);

function attribute(value: unknown, name: string, path: string, problems: string[], required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) problems.push(`${path}${name}: required`);
    return undefined;
  }
  if (typeof value !== 'string' || (required && value === '')) {
    problems.push(`${path}${name}: must be a ${required ? 'non-empty ' : ''}string`);
    return undefined;
  }
  return value;
}

function contextOf(get: (name: string) => unknown, names: Iterable<string>, path: string, problems: string[]): Omit<CloudEvent, 'data'> | undefined {
  const specversion = get('specversion');
  if (specversion === undefined) problems.push(`${path}specversion: required`);
  else if (specversion !== CLOUDEVENTS_SPEC_VERSION) problems.push(`${path}specversion: must be "${CLOUDEVENTS_SPEC_VERSION}", got ${JSON.stringify(specversion)}`);
  const id = attribute(get('id'), 'id', path, problems, true);
  const source = attribute(get('source'), 'source', path, problems, true);
  const type = attribute(get('type'), 'type', path, problems, true);
  const subject = attribute(get('subject'), 'subject', path, problems, false);
  const time = attribute(get('time'), 'time', path, problems, false);
  if (time !== undefined && Number.isNaN(Date.parse(time))) problems.push(`${path}time: must be an RFC 3339 time, got ${JSON.stringify(time)}`);
  const datacontenttype = attribute(get('datacontenttype'), 'datacontenttype', path, problems, false);
  const dataschema = attribute(get('dataschema'), 'dataschema', path, problems, false);
  const extensions: Record<string, string> = {};
  for (const name of names) {
    if (CONTEXT_ATTRIBUTES.has(name)) continue;
    if (!EXTENSION_NAME.test(name)) {
      problems.push(`${path}${name}: extension attribute names are 1-20 lowercase letters or digits`);
      continue;
    }
    const v = get(name);
    if (typeof v === 'string') extensions[name] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') extensions[name] = String(v);
    else if (v !== null && v !== undefined) problems.push(`${path}${name}: an extension attribute must be a string, number or boolean`);
  }
  if (problems.length > 0 || id === undefined || source === undefined || type === undefined) return undefined;
  return {
    id,
    source,
    type,
    ...(subject !== undefined ? { subject } : {}),
    ...(time !== undefined ? { time } : {}),
    ...(datacontenttype !== undefined ? { datacontenttype } : {}),
    ...(dataschema !== undefined ? { dataschema } : {}),
    extensions,
  };
}

/** A structured-mode event (`application/cloudevents+json`, or one item of a batch). */
export function readStructuredEvent(value: unknown, path: string): { event?: CloudEvent; problems: string[] } {
  const problems: string[] = [];
  const at = path === '' ? '' : `${path}.`;
  if (!isPlainObject(value)) return { problems: [`${path || 'body'}: must be a CloudEvent object`] };
  const context = contextOf((n) => value[n], Object.keys(value), at, problems);
  if ('data' in value && 'data_base64' in value) problems.push(`${at}data: only one of data and data_base64 may be set`);
  let data: CloudEvent['data'];
  if (value['data_base64'] !== undefined) {
    if (typeof value['data_base64'] !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value['data_base64'])) problems.push(`${at}data_base64: must be base64`);
    else data = { bytes: Buffer.from(value['data_base64'], 'base64') };
  } else if (value['data'] !== undefined) {
    data = { json: value['data'] };
  }
  if (!context || problems.length > 0) return { problems };
  return { event: { ...context, ...(data ? { data } : {}) }, problems };
}

/** A binary-mode event: the attributes in `ce-*` headers, the data in the body (typed by `Content-Type`). */
export function readBinaryEvent(headers: Readonly<Record<string, string | string[] | undefined>>, body: Buffer): { event?: CloudEvent; problems: string[] } {
  const problems: string[] = [];
  const ce = new Map<string, string>();
  for (const [k, v] of Object.entries(headers)) {
    if (!k.toLowerCase().startsWith('ce-') || v === undefined) continue;
    const value = Array.isArray(v) ? v.join(',') : v;
    // Header values are percent-encoded where they are not printable ASCII.
    let decoded = value;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      // keep it as sent
    }
    ce.set(k.toLowerCase().slice(3), decoded);
  }
  const context = contextOf(
    (n) => ce.get(n),
    ce.keys(),
    'ce-',
    problems,
  );
  if (!context) return { problems };
  const contentType = headerValue(headers['content-type']);
  const event: CloudEvent = { ...context, ...(contentType ? { datacontenttype: contentType } : {}) };
  if (body.length > 0) {
    if (isJsonType(contentType)) {
      try {
        event.data = { json: JSON.parse(body.toString('utf8')) as unknown };
      } catch (err) {
        return { problems: [`body: Content-Type ${contentType ?? '(none)'} but not valid JSON: ${(err as Error).message}`] };
      }
    } else if (isTextType(contentType)) event.data = { text: body.toString('utf8') };
    else event.data = { bytes: body };
  }
  return { event, problems };
}

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The postable alert of a CloudEvent (see the rule above). */
export function cloudEventAlert(e: CloudEvent): { labels: Record<string, string>; annotations: Record<string, string>; startsAt?: string } {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.extensions)) if (!FIXED_LABELS.has(k)) setLabel(labels, k, v);
  labels['alerttype'] = 'cloudevent';
  labels['alertname'] = e.type;
  labels['source'] = e.source;
  if (e.subject !== undefined && e.subject !== '') labels['subject'] = e.subject;
  const annotations: Record<string, string> = {};
  const d = e.data;
  if (d && 'json' in d) {
    const v = d.json;
    if (isPlainObject(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (x === null || x === undefined) continue;
        annotations[k] = typeof x === 'string' ? x : JSON.stringify(x);
      }
    } else if (typeof v === 'string') annotations['message'] = v;
    else if (v !== null) annotations['data'] = JSON.stringify(v);
  } else if (d && 'text' in d) annotations['message'] = d.text;
  else if (d && 'bytes' in d) annotations['data_base64'] = d.bytes.toString('base64');
  annotations['eventId'] = e.id;
  if (e.time) annotations['eventTime'] = e.time;
  if (e.dataschema) annotations['dataschema'] = e.dataschema;
  return { labels, annotations, ...(e.time ? { startsAt: e.time } : {}) };
}
