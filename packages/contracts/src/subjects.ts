import { CHANNELS, type Channel } from './channels.js';

/** Tenant id used for global receivers (notification-manager's `notification-manager/type/global`). */
export const GLOBAL_TENANT = 'notification-manager/type/global';
/** Tenant id used for receivers classified as default (reachable only through Routers). */
export const DEFAULT_TENANT = 'notification-manager/type/default';

/**
 * Encodes an arbitrary string (a tenant id, a user name) into one NATS subject token.
 * Letters, digits, `-` and `_` stay; everything else becomes `~XX` per UTF-8 byte.
 * Global and default tenants get short fixed tokens.
 */
export function subjectToken(value: string): string {
  if (value === GLOBAL_TENANT) return '_global';
  if (value === DEFAULT_TENANT) return '_default';
  if (value === '') return '_none';
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9-]/.test(c) || (c === '_' && out.length > 0)) out += c;
    else out += '~' + byte.toString(16).padStart(2, '0').toUpperCase();
  }
  return out;
}

/** Inverse of {@link subjectToken}. */
export function fromSubjectToken(token: string): string {
  if (token === '_global') return GLOBAL_TENANT;
  if (token === '_default') return DEFAULT_TENANT;
  if (token === '_none') return '';
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const c = token[i]!;
    if (c === '~') {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Dead-letter stages (besides `sender-<channel>`); `history-webhook` posts NotificationManager.spec.history.webhook. */
export const STAGES = ['ingest', 'silencer', 'router', 'aggregator', 'sender', 'history-webhook'] as const;
export type Stage = (typeof STAGES)[number];

/** Every subject of the system. Services never write a subject string by hand. */
export const subjects = {
  alertsIngested: 'nm.alerts.ingested',
  alertsAdmitted: 'nm.alerts.admitted',
  alertsRouted: 'nm.alerts.routed',
  alertsAll: 'nm.alerts.>',
  notify: (channel: Channel): string => `nm.notify.${channel}`,
  notifyAll: 'nm.notify.>',
  history: (tenant: string, channel: Channel): string => `nm.history.${subjectToken(tenant)}.${channel}`,
  historyOfTenant: (tenant: string): string => `nm.history.${subjectToken(tenant)}.*`,
  historyAll: 'nm.history.>',
  dlq: (stage: Stage | `sender-${Channel}`): string => `nm.dlq.${stage}`,
  /** Core NATS (not stored): the outcome of an API send (`POST /api/v2/verify`, `/api/v2/notifications`). */
  apiOutcome: (requestId: string): string => `nm.api.outcome.${requestId}`,
  dlqAll: 'nm.dlq.>',
} as const;

/**
 * Whether a message may be published (again) on `subject` from outside its producing stage —
 * what a dead-letter replay may target: a pipeline stage's input or a channel's notify subject.
 */
export function isPipelineSubject(subject: string): boolean {
  if (subject === subjects.alertsIngested || subject === subjects.alertsAdmitted || subject === subjects.alertsRouted) return true;
  const channel = /^nm\.notify\.([a-z]+)$/.exec(subject)?.[1];
  return channel !== undefined && (CHANNELS as readonly string[]).includes(channel);
}

/** NATS header names used by the bus. */
export const headers = {
  msgId: 'Nats-Msg-Id',
  traceparent: 'traceparent',
  schemaVersion: 'Nm-Schema-Version',
  /**
   * How many alerts an alerts message carries (set by ingest): a stage that needs nothing else of
   * them for this message (the silencer when nothing could mute) forwards it without decoding it.
   */
  alertCount: 'Nm-Alert-Count',
} as const;
