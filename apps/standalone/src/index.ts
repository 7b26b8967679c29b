export { DEFINED_SERVICES, SENDER_SERVICES, StandaloneEnvSchema, parseStandaloneEnv, startStandalone } from './standalone.js';
export type { StandaloneEnv } from './standalone.js';
