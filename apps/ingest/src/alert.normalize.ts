import { createHash } from 'node:crypto';
import { ZERO_TIME, type Alert, type AlertSource } from '@nm/contracts';
import { fingerprint } from '@nm/model';
import { isPlainObject as isRecord } from '@nm/model';

/** The request as a whole is unusable (not JSON, wrong shape). */
export class IngestInputError extends Error {
  override readonly name = 'IngestInputError';
  readonly code = 'INVALID_INPUT';
}

export interface NormalizeOptions {
  now: Date;
  /** This cluster's name, set as `cluster` on alerts that have none. */
  cluster: string;
}

export interface NormalizedBatch {
  batchId: string;
  source: AlertSource;
  externalURL?: string;
  upstreamReceiver?: string;
  upstreamGroupKey?: string;
  alerts: Alert[];
  /** One message per rejected alert, naming the field, e.g. `alerts[2].labels.severity: must be a string`. */
  problems: string[];
}

const HEX16 = /^[0-9a-f]{16}$/;

function stringMap(v: unknown, path: string, problems: string[]): Record<string, string> | undefined {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) {
    problems.push(`${path}: must be an object of string values`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') {
      problems.push(`${path}.${k}: must be a string, got ${val === null ? 'null' : typeof val}`);
      return undefined;
    }
    out[k] = val;
  }
  return out;
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

/** Go's `time.Now().Local().String()` shape, which notification-manager puts in `alerttime`. */
function goLocalTime(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  const zone = Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
    .formatToParts(d)
    .find((x) => x.type === 'timeZoneName')?.value;
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}` +
    `.${p(d.getMilliseconds(), 3)}000000 ${sign}${p(Math.floor(abs / 60))}${p(abs % 60)} ${zone ?? 'UTC'}`
  );
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
  const batch: Omit<NormalizedBatch, 'alerts' | 'problems' | 'source'> = {
    batchId: createHash('sha256').update(raw).digest('hex').slice(0, 32),
  };
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

  const now = opts.now;
  const receivedAt = now.toISOString();
  const alerts: Alert[] = [];
  const problems: string[] = [];
  items.forEach((item, i) => {
    const path = `${prefix}[${i}]`;
    const mine: string[] = [];
    if (!isRecord(item)) {
      problems.push(`${path}: must be an object`);
      return;
    }
    const labels = stringMap(item.labels, `${path}.labels`, mine);
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
      for (const k of Object.keys(labels)) if (labels[k] === '') delete labels[k];
      if (Object.keys(labels).length === 0) mine.push(`${path}.labels: must have at least one non-empty label`);
      for (const k of Object.keys(labels)) if (k === '') mine.push(`${path}.labels: label names must not be empty`);
    }
    if (typeof startsAt === 'string' && typeof endsAt === 'string' && !isZero(endsAt) && Date.parse(endsAt) < Date.parse(startsAt))
      mine.push(`${path}.endsAt: must not be before startsAt`);
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
    const { status: _s, labels: _l, annotations: _a, startsAt: _st, endsAt: _e, fingerprint: _f, id: _id, receivedAt: _r, ...rest } = item;
    alerts.push({
      ...rest,
      id: createHash('sha256').update(`${batch.batchId}:${i}`).digest('hex').slice(0, 16),
      status: resolved ? 'resolved' : 'firing',
      labels,
      annotations,
      startsAt: startsAt ?? (isZero(end) ? receivedAt : end),
      endsAt: resolved ? (isZero(end) ? receivedAt : end) : end,
      ...(typeof item.generatorURL === 'string' ? { generatorURL: item.generatorURL } : {}),
      fingerprint: fp,
      receivedAt,
    });
  });
  return { ...batch, source, alerts, problems };
}

/** Splits alerts so that each chunk's JSON stays under `maxBytes`. */
export function chunkAlerts(alerts: Alert[], maxBytes: number): { chunks: Alert[][]; oversized: number[] } {
  const chunks: Alert[][] = [];
  const oversized: number[] = [];
  let current: Alert[] = [];
  let size = 0;
  alerts.forEach((a, i) => {
    const s = Buffer.byteLength(JSON.stringify(a)) + 1;
    if (s > maxBytes) {
      oversized.push(i);
      return;
    }
    if (size + s > maxBytes && current.length > 0) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(a);
    size += s;
  });
  if (current.length > 0) chunks.push(current);
  return { chunks, oversized };
}
