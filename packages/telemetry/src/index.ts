export { createLogger, loggerOptions } from './logger.js';
export type { Logger } from './logger.js';
export { redactLogObject, redactUrl, scrubText, isSecretKey, REDACTED, SECRET_KEY_NAMES, SECRET_KEY_SUFFIXES, HEADER_KEY_NAMES, URL_KEY_NAMES } from './redact.js';
export { Metrics } from './metrics.js';
export { createHealth, startHealthServer, handleHealthRequest } from './health.server.js';
export type { Health, ReadinessCheck } from './health.server.js';
export { parseEnv, runMain, EnvError } from './env.js';
