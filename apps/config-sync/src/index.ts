export { startConfigSync } from './service.js';
export type { ConfigSyncOptions } from './service.js';
export { DirectorySync, toContent } from './directory.sync.js';
export { extractInlineCredentials, INLINE_NAMESPACE } from './inline.credentials.js';
export { SENDER_CHANNELS, SenderLiveness, missingSenderProblems, receiverChannels } from './sender.coverage.js';
export type { SenderLivenessOptions, ReceiverChannel } from './sender.coverage.js';
