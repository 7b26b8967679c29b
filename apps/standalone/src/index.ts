export { startStandalone } from './standalone.js';
export type { StandaloneOptions } from './standalone.js';
