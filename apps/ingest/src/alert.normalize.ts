// Alert normalisation, input limits, receipt ids and chunking live in @nm/intake, shared with the
// event exporter; ingest's modules keep importing them from here.
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
  publishIngested,
  ingestedMessages,
  ingestedMsgId,
  goLocalTime,
} from '@nm/intake';
export type { IngestLimits, NormalizedBatch, NormalizedAlerts, NormalizeOptions, IngestedHeader } from '@nm/intake';
