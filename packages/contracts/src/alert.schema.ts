import { z } from 'zod';

/** Label and annotation maps: string → string. */
export const LabelSetSchema = z.record(z.string(), z.string());
export type LabelSet = z.infer<typeof LabelSetSchema>;

/** Alertmanager's zero time, used as `endsAt` of firing alerts in webhook payloads. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export const AlertStatusSchema = z.enum(['firing', 'resolved']);
export type AlertStatus = z.infer<typeof AlertStatusSchema>;

/**
 * One alert as it travels through the pipeline after ingest normalised it.
 * Unknown fields sent by the client (for example a metric `value`) are kept.
 */
export const AlertSchema = z.looseObject({
  /** Unique id of this received alert instance (notification-manager's per-alert `id`). */
  id: z.string().min(1),
  status: AlertStatusSchema,
  labels: LabelSetSchema,
  annotations: LabelSetSchema,
  startsAt: z.string(),
  endsAt: z.string(),
  generatorURL: z.string().optional(),
  /** Alertmanager fingerprint: FNV-1a 64 over the sorted label set, 16 hex digits. */
  fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
  /** When ingest received it (RFC 3339). */
  receivedAt: z.string(),
});
export type Alert = z.infer<typeof AlertSchema>;
