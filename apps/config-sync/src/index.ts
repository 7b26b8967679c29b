export { startConfigSync } from './service.js';
export type { ConfigSyncOptions } from './service.js';
export { DirectorySync, toContent } from './directory.sync.js';
export { extractInlineCredentials, INLINE_NAMESPACE } from './inline.credentials.js';
