import { createHash, randomBytes } from 'node:crypto';
import { ZERO_TIME, type Alert, type AlertSource } from '@nm/contracts';
import { fingerprint, hex32, isPlainObject as isRecord, setLabel } from '@nm/model';

/** The request as a whole is unusable (not JSON, wrong shape, too many alerts). */
export class IngestInputError extends Error {
  override readonly name: string = 'IngestInputError';
  readonly code: string = 'INVALID_INPUT';
  /** HTTP status of the answer. */
  readonly status: number = 400;
}

/** The request has more alerts than `NM_INGEST_MAX_ALERTS`: rejected as a whole (413). */
export class TooManyAlertsError extends IngestInputError {
  override readonly name = 'TooManyAlertsError';
  override readonly code = 'TOO_MANY_ALERTS';
  override readonly status = 413;
}

/**
 * Input limits. The defaults are far above what a real alert carries (Alertmanager and Prometheus
 * alerts have tens of labels of tens of bytes); they bound what one hostile request can cost.
 */
export interface IngestLimits {
  /** Alerts per request (`NM_INGEST_MAX_ALERTS`); more rejects the whole request with 413. */
  maxAlerts: number;
  /** Labels per alert (`NM_INGEST_MAX_LABELS`). */
  maxLabels: number;
  /** Bytes (UTF-8) of one label name (`NM_INGEST_MAX_LABEL_NAME_BYTES`). */
  maxLabelNameBytes: number;
  /** Bytes of one label value (`NM_INGEST_MAX_LABEL_VALUE_BYTES`). */
  maxLabelValueBytes: number;
  /** Bytes of one annotation value (`NM_INGEST_MAX_ANNOTATION_VALUE_BYTES`). */
  maxAnnotationValueBytes: number;
  /** Bytes of all annotation names and values of one alert (`NM_INGEST_MAX_ANNOTATIONS_BYTES`). */
  maxAnnotationsBytes: number;
}

export const DEFAULT_INGEST_LIMITS: Readonly<IngestLimits> = {
  maxAlerts: 50_000,
  maxLabels: 128,
  maxLabelNameBytes: 1024,
  maxLabelValueBytes: 16 * 1024,
  maxAnnotationValueBytes: 64 * 1024,
  maxAnnotationsBytes: 256 * 1024,
};

/** The environment variable of each limit, named in the answer when a request exceeds it. */
export const LIMIT_ENV: Readonly<Record<keyof IngestLimits, string>> = {
  maxAlerts: 'NM_INGEST_MAX_ALERTS',
  maxLabels: 'NM_INGEST_MAX_LABELS',
  maxLabelNameBytes: 'NM_INGEST_MAX_LABEL_NAME_BYTES',
  maxLabelValueBytes: 'NM_INGEST_MAX_LABEL_VALUE_BYTES',
  maxAnnotationValueBytes: 'NM_INGEST_MAX_ANNOTATION_VALUE_BYTES',
  maxAnnotationsBytes: 'NM_INGEST_MAX_ANNOTATIONS_BYTES',
};

const over = (limits: IngestLimits, key: keyof IngestLimits): string => `more than the limit of ${limits[key]} (${LIMIT_ENV[key]})`;

export interface NormalizeOptions {
  now: Date;
  /** This cluster's name, set as `cluster` on alerts that have none. */
  cluster: string;
  /** Input limits (default `DEFAULT_INGEST_LIMITS`). */
  limits?: Readonly<IngestLimits>;
}

/**
 * A validated request. Alert ids are not assigned yet: they derive from the receipt id, which is
 * decided after deduplication (`withReceipt`).
 */
export interface NormalizedBatch {
  source: AlertSource;
  externalURL?: string;
  upstreamReceiver?: string;
  upstreamGroupKey?: string;
  /** Accepted alerts, with an empty `id`. */
  alerts: Alert[];
  /** Position of each accepted alert in the request (alert ids derive from it). */
  indexes: number[];
  /** One message per rejected alert, naming the field, e.g. `alerts[2].labels.severity: must be a string`. */
  problems: string[];
  /** Alerts in the request, accepted or not. */
  total: number;
  /** Rejected alerts that exceeded a limit (the others in `problems` are invalid). */
  overLimit: number;
  /** Where an alert of the request is, for messages: `alerts[3]` (webhook payload) or `[3]` (array). */
  pathOf(index: number): string;
}

/** A new receipt id: one per accepted request, random (32 hex digits). */
export function newReceiptId(): string {
  return randomBytes(16).toString('hex');
}

/** murmur3's 32-bit finaliser: a bijection of 32-bit integers that spreads every input bit. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The two 32-bit seeds of a receipt's alert ids (from a SHA-256 of the receipt id, once per request). */
function receiptSeed(receiptId: string): [number, number] {
  const d = createHash('sha256').update(receiptId).digest();
  return [d.readUInt32BE(0), d.readUInt32BE(4)];
}

function idFrom(seed: readonly [number, number], index: number): string {
  // each half is a bijection of the index: two alerts of one request never share an id
  return hex32(mix32((seed[0] ^ index) >>> 0)) + hex32(mix32((seed[1] ^ Math.imul(index, 0x9e3779b1)) >>> 0));
}

/**
 * The id of the alert at `index` of the request received as `receiptId` (16 hex digits): stable
 * across redeliveries, new per receipt, distinct within a request.
 */
export function alertId(receiptId: string, index: number): string {
  return idFrom(receiptSeed(receiptId), index);
}

/**
 * The batch's alerts with their ids for receipt `receiptId`, assigned in place (the batch's alert
 * objects are its own, made by the normalisation; a later call with another receipt id re-assigns them).
 */
export function withReceipt(batch: NormalizedBatch, receiptId: string): Alert[] {
  const seed = receiptSeed(receiptId);
  const { alerts, indexes } = batch;
  for (let k = 0; k < alerts.length; k++) alerts[k]!.id = idFrom(seed, indexes[k] ?? k);
  return alerts;
}

/** UTF-8 bytes of `s`, counted only when it could exceed `limit` (a code unit is at most 3 bytes). */
const bytesOver = (s: string, limit: number): number => (s.length * 3 <= limit ? 0 : Buffer.byteLength(s));

/** Problems of one alert's sizes against the limits (labels must already be strings). */
function sizeProblems(path: string, labels: Record<string, string>, annotations: Record<string, string>, limits: IngestLimits): string[] {
  const out: string[] = [];
  for (const k in labels) {
    const nameBytes = bytesOver(k, limits.maxLabelNameBytes);
    if (nameBytes > limits.maxLabelNameBytes) {
      out.push(`${path}.labels: a label name of ${nameBytes} bytes (${JSON.stringify(k.slice(0, 32))}…), ${over(limits, 'maxLabelNameBytes')}`);
      continue;
    }
    const valueBytes = bytesOver(labels[k]!, limits.maxLabelValueBytes);
    if (valueBytes > limits.maxLabelValueBytes)
      out.push(`${path}.labels.${k}: value of ${valueBytes} bytes, ${over(limits, 'maxLabelValueBytes')}`);
  }
  // the total is counted exactly only when the alert's annotations could exceed it
  let upper = 0;
  for (const k in annotations) upper += (k.length + annotations[k]!.length) * 3;
  let total = 0;
  for (const k in annotations) {
    const v = annotations[k]!;
    const valueBytes = bytesOver(v, limits.maxAnnotationValueBytes);
    if (upper > limits.maxAnnotationsBytes) total += Buffer.byteLength(k) + Buffer.byteLength(v);
    if (valueBytes > limits.maxAnnotationValueBytes)
      out.push(`${path}.annotations.${k.length > 64 ? `${k.slice(0, 64)}…` : k}: value of ${valueBytes} bytes, ${over(limits, 'maxAnnotationValueBytes')}`);
  }
  if (total > limits.maxAnnotationsBytes) out.push(`${path}.annotations: ${total} bytes in all, ${over(limits, 'maxAnnotationsBytes')}`);
  return out;
}

const HEX16 = /^[0-9a-f]{16}$/;

/**
 * A copy of an object of string values (`dropEmpty`: without the empty ones, as Alertmanager drops
 * empty label values), or undefined with the first problem. Built by adding keys, never deleting
 * them, so the copy keeps V8's fast object layout.
 */
function stringMap(v: unknown, path: string, problems: string[], dropEmpty = false): Record<string, string> | undefined {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) {
    problems.push(`${path}: must be an object of string values`);
    return undefined;
  }
  const out: Record<string, string> = {};
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const val = v[k];
    if (typeof val !== 'string') {
      problems.push(`${path}.${k}: must be a string, got ${val === null ? 'null' : typeof val}`);
      return undefined;
    }
    if (dropEmpty && val === '') continue;
    setLabel(out, k, val); // a key named __proto__ is data here, kept like any other
  }
  return out;
}

/** Fields of a postable alert that the normalisation sets itself; any other field is kept as it came. */
const OWN_FIELDS = new Set(['status', 'labels', 'annotations', 'startsAt', 'endsAt', 'fingerprint', 'id', 'receivedAt']);

/**
 * Whether the item has fields besides the normalised ones, other than a leading `generatorURL`
 * string (the common shape, built directly; the rest is kept in the order it came).
 */
function hasExtraFields(item: Record<string, unknown>): boolean {
  const keys = Object.keys(item);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (OWN_FIELDS.has(k)) continue;
    if (k === 'generatorURL' && typeof item.generatorURL === 'string') continue;
    return true;
  }
  return false;
}

function time(v: unknown, path: string, problems: string[]): string | undefined | null {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) {
    problems.push(`${path}: must be an RFC 3339 date-time, got ${JSON.stringify(v)}`);
    return null;
  }
  return v;
}

const isZero = (t: string | undefined): boolean => !t || t.startsWith('0001-01-01');

let zoneFormat: Intl.DateTimeFormat | undefined;
let lastLocal: { at: number; text: string } | undefined;

/** Go's `time.Now().Local().String()` shape, which notification-manager puts in `alerttime`. */
export function goLocalTime(d: Date): string {
  const at = d.getTime();
  if (lastLocal?.at === at) return lastLocal.text; // one request's alerts share their receive time
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  zoneFormat ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });
  const zone = zoneFormat.formatToParts(d).find((x) => x.type === 'timeZoneName')?.value;
  const text =
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}` +
    `.${p(d.getMilliseconds(), 3)}000000 ${sign}${p(Math.floor(abs / 60))}${p(abs % 60)} ${zone ?? 'UTC'}`;
  lastLocal = { at, text };
  return text;
}

/**
 * Turns a POST body into normalised alerts. Accepts the Alertmanager webhook payload
 * (`{receiver, status, alerts: [...], ...}`) and the Alertmanager/Prometheus API shape (an array
 * of postable alerts). Like Alertmanager, valid alerts are kept even when others are invalid;
 * every invalid one is named in `problems`. Every field of an alert is kept.
 */
export function normalizeBody(raw: Buffer, opts: NormalizeOptions): NormalizedBatch {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new IngestInputError(`body is not valid JSON: ${(err as Error).message}`);
  }
  let items: unknown[];
  let source: AlertSource;
  const limits = opts.limits ?? DEFAULT_INGEST_LIMITS;
  const batch: Omit<NormalizedBatch, 'alerts' | 'indexes' | 'problems' | 'total' | 'overLimit' | 'source' | 'pathOf'> = {};
  let prefix: string;
  if (Array.isArray(body)) {
    items = body;
    source = 'alerts-array';
    prefix = '';
  } else if (isRecord(body) && Array.isArray(body.alerts)) {
    items = body.alerts;
    source = 'alertmanager-webhook';
    prefix = 'alerts';
    if (typeof body.externalURL === 'string' && body.externalURL) batch.externalURL = body.externalURL;
    if (typeof body.receiver === 'string' && body.receiver) batch.upstreamReceiver = body.receiver;
    if (typeof body.groupKey === 'string' && body.groupKey) batch.upstreamGroupKey = body.groupKey;
  } else if (isRecord(body) && 'alerts' in body) {
    throw new IngestInputError('alerts: must be an array of alerts');
  } else {
    throw new IngestInputError(
      'body must be an Alertmanager webhook payload ({"alerts": [...]}) or a JSON array of alerts',
    );
  }

  if (items.length > limits.maxAlerts)
    throw new TooManyAlertsError(`${prefix || 'body'}: ${items.length} alerts in one request, ${over(limits, 'maxAlerts')}`);
  return { ...batch, source, ...normalizeAlertItems(items, { ...opts, prefix }) };
}

/** The alerts of a request, normalised: what {@link normalizeAlertItems} returns. */
export type NormalizedAlerts = Pick<NormalizedBatch, 'alerts' | 'indexes' | 'problems' | 'total' | 'overLimit' | 'pathOf'>;

/**
 * Validates and normalises postable alerts (`{labels, annotations?, startsAt?, endsAt?, status?,
 * generatorURL?, fingerprint?, …}`), as Alertmanager's API does: valid alerts are kept even when
 * others are invalid; every invalid one is named in `problems` (`<prefix>[i].<field>: …`). Every
 * field of an alert is kept; `cluster` is defaulted, the fingerprint computed when missing, the
 * receive time stamped. Alert ids are left empty (see `withReceipt`). Ingest's body shapes and the
 * other sources (Kubernetes events, audit events, CloudEvents) all go through here.
 */
export function normalizeAlertItems(
  items: readonly unknown[],
  opts: NormalizeOptions & {
    prefix?: string;
    /** Where each item stands in the request, when not at its own index (a source that built alerts from some of its items). */
    positions?: readonly number[];
  },
): NormalizedAlerts {
  const limits = opts.limits ?? DEFAULT_INGEST_LIMITS;
  const prefix = opts.prefix ?? '';
  const positions = opts.positions;
  const now = opts.now;
  const receivedAt = now.toISOString();
  const alerts: Alert[] = [];
  const indexes: number[] = [];
  const problems: string[] = [];
  let overLimit = 0;
  items.forEach((item, k) => {
    const i = positions?.[k] ?? k;
    const path = `${prefix}[${i}]`;
    const mine: string[] = [];
    if (!isRecord(item)) {
      problems.push(`${path}: must be an object`);
      return;
    }
    if (isRecord(item.labels)) {
      const count = Object.keys(item.labels).length;
      if (count > limits.maxLabels) {
        problems.push(`${path}.labels: ${count} labels, ${over(limits, 'maxLabels')}`);
        overLimit += 1;
        return;
      }
    }
    const labels = stringMap(item.labels, `${path}.labels`, mine, true);
    const annotations = stringMap(item.annotations, `${path}.annotations`, mine);
    const startsAt = time(item.startsAt, `${path}.startsAt`, mine);
    const endsAt = time(item.endsAt, `${path}.endsAt`, mine);
    if (item.status !== undefined && item.status !== 'firing' && item.status !== 'resolved')
      mine.push(`${path}.status: must be "firing" or "resolved", got ${JSON.stringify(item.status)}`);
    if (item.generatorURL !== undefined && item.generatorURL !== null && typeof item.generatorURL !== 'string')
      mine.push(`${path}.generatorURL: must be a string`);
    if (item.fingerprint !== undefined && item.fingerprint !== null && item.fingerprint !== '' &&
        (typeof item.fingerprint !== 'string' || !HEX16.test(item.fingerprint)))
      mine.push(`${path}.fingerprint: must be 16 lowercase hex digits`);
    if (labels) {
      // empty values were left out of the copy
      const names = Object.keys(labels);
      if (names.length === 0) mine.push(`${path}.labels: must have at least one non-empty label`);
      for (const k of names) if (k === '') mine.push(`${path}.labels: label names must not be empty`);
    }
    if (typeof startsAt === 'string' && typeof endsAt === 'string' && !isZero(endsAt) && Date.parse(endsAt) < Date.parse(startsAt))
      mine.push(`${path}.endsAt: must not be before startsAt`);
    const sizes = labels && annotations ? sizeProblems(path, labels, annotations, limits) : [];
    if (sizes.length > 0) {
      overLimit += 1;
      mine.push(...sizes);
    }
    if (mine.length > 0 || !labels || !annotations || startsAt === null || endsAt === null) {
      problems.push(...mine);
      return;
    }
    const fp = typeof item.fingerprint === 'string' && HEX16.test(item.fingerprint) ? item.fingerprint : fingerprint(labels);
    if (!labels.cluster) labels.cluster = opts.cluster;
    if (labels.alerttype === 'metric' && !annotations.alerttime) annotations.alerttime = goLocalTime(now);
    const end = endsAt ?? ZERO_TIME;
    const resolved =
      item.status === 'resolved' || (item.status === undefined && !isZero(end) && Date.parse(end) <= now.getTime());
    indexes.push(i);
    const status = resolved ? 'resolved' : 'firing';
    const starts = startsAt ?? (isZero(end) ? receivedAt : end);
    const ends = resolved ? (isZero(end) ? receivedAt : end) : end;
    if (!hasExtraFields(item)) {
      // the common shape, in the same field order as below (a generatorURL comes first, where the rest puts it)
      alerts.push(
        typeof item.generatorURL === 'string'
          ? { generatorURL: item.generatorURL, id: '', status, labels, annotations, startsAt: starts, endsAt: ends, fingerprint: fp, receivedAt }
          : { id: '', status, labels, annotations, startsAt: starts, endsAt: ends, fingerprint: fp, receivedAt },
      );
      return;
    }
    const { status: _s, labels: _l, annotations: _a, startsAt: _st, endsAt: _e, fingerprint: _f, id: _id, receivedAt: _r, ...rest } = item;
    alerts.push({
      ...rest,
      id: '',
      status,
      labels,
      annotations,
      startsAt: starts,
      endsAt: ends,
      ...(typeof item.generatorURL === 'string' ? { generatorURL: item.generatorURL } : {}),
      fingerprint: fp,
      receivedAt,
    });
  });
  const pathOf = (index: number): string => `${prefix}[${index}]`;
  return { alerts, indexes, problems, total: items.length, overLimit, pathOf };
}


/**
 * Splits alerts so that each chunk's JSON stays under `maxBytes`. `alertsJson` is each chunk's
 * alerts array as JSON (measured here anyway): `publishIngested` builds the messages from it instead
 * of serialising every alert a second time. The common request, whose alerts fit one message, is
 * serialised as one array (one call instead of one per alert); a larger one alert by alert.
 */
export function chunkAlerts(alerts: Alert[], maxBytes: number): { chunks: Alert[][]; oversized: number[]; alertsJson: string[] } {
  if (alerts.length === 0) return { chunks: [], oversized: [], alertsJson: [] };
  // A chunk holds alerts while the sum of their bytes plus one each (the commas and one bracket)
  // stays within maxBytes: its array is that sum plus one byte. The whole array is tried first
  // unless the first alert's size says it is far too large (a huge request is not serialised twice).
  if (JSON.stringify(alerts[0]).length * alerts.length <= 2 * maxBytes) {
    const whole = JSON.stringify(alerts);
    if (whole.length * 3 - 1 <= maxBytes || Buffer.byteLength(whole) - 1 <= maxBytes) return { chunks: [alerts], oversized: [], alertsJson: [whole] };
  }
  const chunks: Alert[][] = [];
  const alertsJson: string[] = [];
  const oversized: number[] = [];
  let current: Alert[] = [];
  let currentTexts: string[] = [];
  let size = 0;
  const close = (): void => {
    chunks.push(current);
    alertsJson.push(`[${currentTexts.join(',')}]`);
  };
  alerts.forEach((a, i) => {
    const text = JSON.stringify(a);
    const s = Buffer.byteLength(text) + 1;
    if (s > maxBytes) {
      oversized.push(i);
      return;
    }
    if (size + s > maxBytes && current.length > 0) {
      close();
      current = [];
      currentTexts = [];
      size = 0;
    }
    current.push(a);
    currentTexts.push(text);
    size += s;
  });
  if (current.length > 0) close();
  return { chunks, oversized, alertsJson };
}
