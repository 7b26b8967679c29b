export { SilencerEnvSchema, silencerService, startSilencer } from './service.js';
export type { SilencerOptions } from './service.js';
export { createSilencerHandler } from './silencer.handler.js';
