export { keys, KINDS } from './layout.js';
export type { StoredKind } from './layout.js';
export { SecretBox, SecretDecryptError } from './secret.crypto.js';
export { ConfigStoreWriter, objectField } from './config.writer.js';
export type { ConfigContent, StoredObject, StoredSecret, StoredProblems } from './config.writer.js';
export { ConfigStoreReader } from './config.reader.js';
export type { SnapshotListener } from './config.reader.js';
export { startHeartbeat, aliveServices } from './heartbeat.js';
export { resolveCredential, CredentialError } from './credential.js';
