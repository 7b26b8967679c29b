import { z } from 'zod';
import { AlertSchema, LabelSetSchema } from './alert.schema.js';
import { ApiSendSchema } from './api.schema.js';
import { CHANNELS } from './channels.js';
import { subjects } from './subjects.js';

export const PAYLOAD_VERSION = 1 as const;

export const ChannelSchema = z.enum(CHANNELS);

/** Where a batch came from; decides the default aggregation mode. */
export const AlertSourceSchema = z.enum(['alertmanager-webhook', 'alerts-array', 'api']);
export type AlertSource = z.infer<typeof AlertSourceSchema>;

const ChunkSchema = z.object({ index: z.number().int().min(0), count: z.number().int().min(1) });

const BatchHeader = {
  version: z.literal(PAYLOAD_VERSION),
  /** The receipt id of the POST (random per accepted request; a deduplicated client retry reuses it). */
  batchId: z.string().min(1),
  chunk: ChunkSchema,
  source: AlertSourceSchema,
  receivedAt: z.string(),
  /** From an Alertmanager webhook payload, kept for templates and webhook bodies. */
  externalURL: z.string().optional(),
  upstreamReceiver: z.string().optional(),
  upstreamGroupKey: z.string().optional(),
};

/** nm.alerts.ingested — one message per POST chunk. */
export const IngestedBatchSchema = z.object({ ...BatchHeader, alerts: z.array(AlertSchema) });
export type IngestedBatch = z.infer<typeof IngestedBatchSchema>;

/** nm.alerts.admitted — the alerts of one ingested message that no global silence or inhibition muted. */
export const AdmittedBatchSchema = z.object({
  ...BatchHeader,
  alerts: z.array(AlertSchema).min(1),
  /**
   * Tenant InhibitRules that inhibit an alert, by alert id: the router drops the alert for that
   * tenant's receivers only (the silencer owns the shared firing-source state).
   */
  tenantInhibitions: z.record(z.string(), z.array(z.object({ tenant: z.string(), rule: z.string() }))).optional(),
});
export type AdmittedBatch = z.infer<typeof AdmittedBatchSchema>;

/** A receiver after the Receiver CR was exploded per channel (notification-manager's internal receiver). */
export const ReceiverRefSchema = z.object({
  /** Receiver CR name. */
  name: z.string().min(1),
  channel: ChannelSchema,
  /** Tenant id (a namespace, a user, or the global/default pseudo-tenant). */
  tenant: z.string(),
});
export type ReceiverRef = z.infer<typeof ReceiverRefSchema>;

export function receiverKey(ref: Pick<ReceiverRef, 'name' | 'channel'>): string {
  return `${ref.channel}/${ref.name}`;
}

/**
 * nm.alerts.routed — one message per admitted message: every alert with the receivers it reaches
 * (indexes into `receivers`), never one message per receiver.
 */
export const RoutedBatchSchema = z.object({
  ...BatchHeader,
  receivers: z.array(ReceiverRefSchema),
  routes: z.array(z.object({ alert: AlertSchema, receivers: z.array(z.number().int().min(0)).min(1) })).min(1),
});
export type RoutedBatch = z.infer<typeof RoutedBatchSchema>;

/** nm.notify.<channel> — one message per notification (a group of alerts for one receiver). */
export const NotificationSchema = z.object({
  version: z.literal(PAYLOAD_VERSION),
  /** Stable id: redelivery of the same notification never sends twice. */
  id: z.string().min(1),
  createdAt: z.string(),
  receiver: ReceiverRefSchema,
  /** Identifies the aggregation group (stable across flushes of the same group). */
  groupKey: z.string(),
  groupLabels: LabelSetSchema,
  alerts: z.array(AlertSchema).min(1),
  /** A group larger than batchMaxSize is split; this is this part's place. */
  part: ChunkSchema,
  externalURL: z.string().optional(),
  source: AlertSourceSchema,
  /** Set when `POST /api/v2/verify` or `/api/v2/notifications` published it (its Receiver came in the request). */
  api: ApiSendSchema.optional(),
});
export type Notification = z.infer<typeof NotificationSchema>;

/**
 * `nm.api.outcome.<requestId>` (core NATS, not stored): the final outcome of one notification of
 * an API request, published by the sender once nothing more will be tried.
 */
export const ApiOutcomeSchema = z.object({
  version: z.literal(PAYLOAD_VERSION),
  requestId: z.string(),
  notificationId: z.string(),
  receiver: ReceiverRefSchema,
  /** `delivered`: every destination got it; `partial`: some did; `failed`: none did. */
  result: z.enum(['delivered', 'partial', 'failed']),
  /** What failed, as the sender's error message (secret-free). */
  error: z.string().optional(),
  time: z.string(),
});
export type ApiOutcome = z.infer<typeof ApiOutcomeSchema>;

export const DeliveryResultSchema = z.enum(['delivered', 'partial', 'failed', 'duplicate']);
export type DeliveryResult = z.infer<typeof DeliveryResultSchema>;

/** nm.history.<tenant>.<channel> — one record per delivery attempt outcome. Never holds secrets. */
export const HistoryRecordSchema = z.object({
  version: z.literal(PAYLOAD_VERSION),
  notificationId: z.string(),
  time: z.string(),
  tenant: z.string(),
  receiver: z.string(),
  channel: ChannelSchema,
  /** Where it went, with credentials removed (e.g. a URL without its query, an email list). */
  destination: z.string(),
  alertIds: z.array(z.string()),
  fingerprints: z.array(z.string()),
  result: DeliveryResultSchema,
  error: z.string().optional(),
  upstreamMessageId: z.string().optional(),
  attempt: z.number().int().min(1),
  /** Set for deliveries of `POST /api/v2/verify` / `/api/v2/notifications` (the history webhook skips them, as notification-manager does). */
  api: z.enum(['verify', 'notifications']).optional(),
  /**
   * For the history webhook: the alerts this record is the first delivery of within its
   * notification (a delivered or partial unit), as they were received (without the `receiver`
   * label added for delivery).
   */
  alerts: z.array(AlertSchema).optional(),
});
export type HistoryRecord = z.infer<typeof HistoryRecordSchema>;

/** nm.dlq.<stage> — what could not be processed, with the reason and the original message. */
export const DeadLetterSchema = z.object({
  version: z.literal(PAYLOAD_VERSION),
  time: z.string(),
  stage: z.string(),
  reason: z.enum(['invalid-payload', 'permanent-error', 'retries-exhausted', 'no-sender']),
  error: z.string(),
  code: z.string().optional(),
  subject: z.string(),
  deliveries: z.number().int(),
  /** Attempts the message spent (waits on infrastructure are not attempts). */
  attempts: z.number().int().optional(),
  /** Set when the payload was too large to keep whole: its size, and how much of its text `payload` keeps. */
  payloadTruncated: z.object({ bytes: z.number().int(), kept: z.number().int() }).optional(),
  /** The original payload, parsed when it was JSON, else the raw text. */
  payload: z.unknown(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

/**
 * Cheap checks of a payload's top level for the consumers of internal hops. What travels between
 * stages was published by a stage of this system from input validated in full where it entered
 * (ingest, the API, the event exporter, a DLQ replay), so a consumer checks only the version and
 * the top-level fields it relies on; the full schema runs when a handler then fails with an error
 * of no known kind, to tell an invalid payload (dead-lettered as such) from a bug.
 */
type FieldKind = 'string' | 'array' | 'object';
function topLevel(fields: Record<string, FieldKind>): (raw: unknown) => boolean {
  const entries = Object.entries(fields);
  return (raw) => {
    if (typeof raw !== 'object' || raw === null) return false;
    const o = raw as Record<string, unknown>;
    if (o['version'] !== PAYLOAD_VERSION) return false;
    for (const [k, kind] of entries) {
      const v = o[k];
      if (kind === 'array' ? !Array.isArray(v) : typeof v !== kind || v === null) return false;
    }
    return true;
  };
}

export const payloadShapes = {
  ingested: topLevel({ batchId: 'string', alerts: 'array', chunk: 'object' }),
  admitted: topLevel({ batchId: 'string', alerts: 'array', chunk: 'object' }),
  routed: topLevel({ batchId: 'string', receivers: 'array', routes: 'array', chunk: 'object' }),
  notification: topLevel({ id: 'string', receiver: 'object', alerts: 'array', groupKey: 'string' }),
  history: topLevel({ notificationId: 'string', tenant: 'string', channel: 'string', alertIds: 'array' }),
} as const;

/** The schema of what is published on a pipeline subject (what a replay must satisfy), if it has one. */
export function payloadSchemaOf(subject: string): z.ZodType | undefined {
  if (subject === subjects.alertsIngested) return IngestedBatchSchema;
  if (subject === subjects.alertsAdmitted) return AdmittedBatchSchema;
  if (subject === subjects.alertsRouted) return RoutedBatchSchema;
  if (subject.startsWith('nm.notify.')) return NotificationSchema;
  if (subject.startsWith('nm.history.')) return HistoryRecordSchema;
  return undefined;
}
