export { startIngest, DEFAULT_READY_REQUIRES } from './service.js';
export type { IngestOptions, IngestSecurity } from './service.js';
export { IngestEnvSchema, ingestOptionsFromEnv, securityFromEnv } from './ingest.env.js';
export type { IngestEnv, IngestEnvOptions } from './ingest.env.js';
export {
  createIngestApp,
  DEFAULT_DEDUP_WINDOW_MS,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  DEFAULT_HIGH_WATER,
  DEFAULT_RETRY_AFTER_SECONDS,
  MAX_IDEMPOTENCY_KEY_LENGTH,
} from './ingest.app.js';
export type { IngestDeps } from './ingest.app.js';
export {
  normalizeBody,
  chunkAlerts,
  withReceipt,
  alertId,
  newReceiptId,
  IngestInputError,
  TooManyAlertsError,
  DEFAULT_INGEST_LIMITS,
  LIMIT_ENV,
} from './alert.normalize.js';
export type { IngestLimits, NormalizedBatch } from './alert.normalize.js';
export { redisReceiptStore, ReceiptStoreUnavailableError, bodyDedupKey, idempotencyKey } from './receipt.store.js';
export type { ReceiptStore, ReceiptRecord, ReceiptState } from './receipt.store.js';
export { cachedStreamFill, fillOf } from './stream.fill.js';
export type { StreamFill } from './stream.fill.js';
export { registerRecordRoutes, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './records.routes.js';
export type { RecordRoutesDeps } from './records.routes.js';
export { createApiAccess, actionOf, checkOf, describePrincipal, API_GROUP, API_PERMISSIONS, OTHER_API } from './api.access.js';
export type { ApiAccess, ApiAction, ApiAuthMode, Principal, AuthResult } from './api.access.js';
export { createKubeReviewer, cachedReviewer, KubeReviewUnavailableError } from './kube.review.js';
export type { KubeReviewer, KubeUser, ResourceCheck } from './kube.review.js';
export { TokenTable, parseTokenList, bearerToken, watchFiles } from './token.source.js';
export { createGuard, principalOf, PUBLIC_PATHS } from './http.guard.js';
export type { Surface } from './http.guard.js';
export { listen } from './listener.js';
export type { TlsFiles, Listener } from './listener.js';
