export { startIngest, DEFAULT_READY_REQUIRES } from './service.js';
export type { IngestOptions } from './service.js';
export { createIngestApp } from './ingest.app.js';
export type { IngestDeps } from './ingest.app.js';
export { normalizeBody, chunkAlerts, IngestInputError } from './alert.normalize.js';
export { registerRecordRoutes, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './records.routes.js';
export type { RecordRoutesDeps } from './records.routes.js';
