export { createLogger } from './logger.js';
export type { Logger } from './logger.js';
export { Metrics } from './metrics.js';
export { createHealth, startHealthServer, handleHealthRequest } from './health.server.js';
export type { Health, ReadinessCheck } from './health.server.js';
export { parseEnv, runMain, EnvError } from './env.js';
