/**
 * `@nm/sender-kit`: the generic sender service every `sender-<channel>` app runs. The app supplies
 * its `ChannelSender` and `targetOf` (a job to that sender's target); the kit does the rest:
 * consume, find the receiver, claim, render, deliver, record history, retry or dead-letter,
 * measure.
 */
export { startSender, SENDER_DEFAULTS } from './sender.runner.js';
export type { SenderInternals } from './sender.runner.js';
export type { DeliveryJob, SenderHandle, SenderServiceOptions, SenderSpec } from './sender.types.js';
export { DeliveredStore, deliveredKeys, DEFAULT_DELIVERED_TTL_SECONDS, DEFAULT_LEASE_MS } from './delivered.store.js';
export type { Claim, PendingRecord } from './delivered.store.js';
export { DeliveryLeases } from './delivery.lease.js';
export type { HeldLease, LeaseOptions } from './delivery.lease.js';
export { HistoryWriter } from './history.writer.js';
export { NotificationDelivery } from './notification.delivery.js';
export type { DeliveryParts } from './notification.delivery.js';
export { senderMetrics } from './sender.metrics.js';
export type { NotificationResult, SenderMetrics } from './sender.metrics.js';
export { settle, historyRecord, NO_UNIT } from './outcome.settle.js';
export type { Settlement, SettleContext } from './outcome.settle.js';
export { chatbotWebhookOf, configOf, idsOf, requireFields, robotOf, targetError, textOf, timeoutOf, tmplTypeOf, webhookUrlOf } from './target.helpers.js';
export { buildJob, labelReceiverInPlace, withReceiverLabel, RECEIVER_LABEL } from './delivery.job.js';
export type { JobInput } from './delivery.job.js';
export { RevisionCache } from './revision.cache.js';
export { openApiSend } from './api.send.js';
export { startHistoryWebhook, HistoryWebhookEnvSchema, historyData, historyAlertOf, isHistoryWorthy, HISTORY_WEBHOOK_ATTEMPTS, HISTORY_WEBHOOK_RETRY_MS } from './history.webhook.js';
export type { HistoryWebhookOptions, HistoryWebhookEnv } from './history.webhook.js';
export type { ApiSendOpener, OpenedApiSend } from './api.send.js';
export type { RevisionState, RevisionCacheOptions, TextSource } from './revision.cache.js';
export { SenderEnvSchema, senderOptionsFromEnv, senderService, sharedPorts } from './sender.service.js';
export type { SenderApp, SenderEnv } from './sender.service.js';
