export { SilencerEnvSchema, silencerService, startSilencer } from './service.js';
export type { SilencerOptions } from './service.js';
export { createSilencer, createSilencerHandler } from './silencer.handler.js';
