import { z } from 'zod';

/** notification-manager's direct-send APIs: `POST /api/v2/verify` and `POST /api/v2/notifications`. */
export const API_SEND_KINDS = ['verify', 'notifications'] as const;
export const ApiSendKindSchema = z.enum(API_SEND_KINDS);
export type ApiSendKind = z.infer<typeof ApiSendKindSchema>;

/**
 * Set on a notification published by `POST /api/v2/verify` or `/api/v2/notifications`: its
 * Receiver (and Config) came in the request, not from the cluster, and the caller waits for the
 * outcome on `subjects.apiOutcome(requestId)`.
 */
export const ApiSendSchema = z.object({
  kind: ApiSendKindSchema,
  /** Random per request; names the outcome subject. */
  requestId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  /** After this instant the sender does not send it any more (the caller was answered with a timeout). */
  deadline: z.string(),
  /** Attempts before a retryable failure is the answer (the API answers within its timeout). */
  maxAttempts: z.number().int().min(1),
  /**
   * `{"receiver": <Receiver>, "config"?: <Config>}` of the request as JSON, sealed with the
   * services' `NM_SECRET_KEY` (AES-256-GCM): it can hold inline credentials, which never sit in a
   * stream (or a dead letter) in clear.
   */
  sealed: z.string().min(1),
});
export type ApiSend = z.infer<typeof ApiSendSchema>;

/**
 * One alert as notification-manager's history webhook receives it (its `template.Alert` JSON):
 * `id`, `status`, `labels` (without the `receiver` label added for delivery), `annotations`,
 * `startsAt`, `endsAt`, `notificationTime`, and `receiver`: `{<Receiver name>: {<channel>: <where>}}`.
 */
export const HistoryAlertSchema = z.object({
  id: z.string(),
  status: z.string(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAt: z.string(),
  endsAt: z.string(),
  notificationTime: z.string(),
  receiver: z.record(z.string(), z.record(z.string(), z.string())),
});
export type HistoryAlert = z.infer<typeof HistoryAlertSchema>;
