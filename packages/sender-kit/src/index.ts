/**
 * `@nm/sender-kit`: the generic sender service every `sender-<channel>` app runs. The app supplies
 * `deliver` (turn a job into requests with its `@nm/channels` sender); the kit does the rest:
 * consume, find the receiver, dedup, render, record history, retry or dead-letter, measure.
 */
export { startSender, SENDER_DEFAULTS } from './sender.runner.js';
export type { SenderInternals } from './sender.runner.js';
export type {
  DeliverFn,
  DeliveryJob,
  DeliveryOutcomeLike,
  DeliveryReport,
  OutcomeError,
  OutcomeStatus,
  SenderHandle,
  SenderOptions,
} from './sender.types.js';
export { DeliveredStore, deliveredKeys, DEFAULT_DELIVERED_TTL_SECONDS, DEFAULT_LEASE_MS } from './delivered.store.js';
export type { Claim, PendingRecord } from './delivered.store.js';
export { settle, historyRecord, isRetryable, NO_UNIT } from './outcome.settle.js';
export type { Failure, NotificationResult, Settlement, SettleContext } from './outcome.settle.js';
export { buildJob } from './delivery.job.js';
export type { JobInput } from './delivery.job.js';
export { RevisionCache } from './revision.cache.js';
export type { RevisionState, RevisionCacheOptions, TextSource } from './revision.cache.js';
export { SenderEnvSchema, senderKitOptions, runSenderMain } from './sender.main.js';
export type { SenderEnv, SenderServiceOptions } from './sender.main.js';
