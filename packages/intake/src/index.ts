/** Alerts into the pipeline: what ingest and the event exporter share. */
export {
  normalizeBody,
  normalizeAlertItems,
  chunkAlerts,
  withReceipt,
  alertId,
  newReceiptId,
  IngestInputError,
  TooManyAlertsError,
  DEFAULT_INGEST_LIMITS,
  LIMIT_ENV,
  goLocalTime,
} from './alert.normalize.js';
export type { IngestLimits, NormalizedBatch, NormalizedAlerts, NormalizeOptions } from './alert.normalize.js';
export { publishIngested, ingestedMessages, ingestedMsgId, encodeIngested } from './batch.publish.js';
export type { IngestedHeader } from './batch.publish.js';
