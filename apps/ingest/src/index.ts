export { startIngest, DEFAULT_READY_REQUIRES } from './service.js';
export type { IngestOptions } from './service.js';
export { createIngestApp } from './ingest.app.js';
export type { IngestDeps } from './ingest.app.js';
export { normalizeBody, chunkAlerts, IngestInputError } from './alert.normalize.js';
