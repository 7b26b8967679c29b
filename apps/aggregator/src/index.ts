export { startAggregator, aggregatorOptionsFromEnv, AggregatorEnvSchema, DEFAULT_MAX_HELD } from './service.js';
export type { AggregatorOptions } from './service.js';
export { BatchAggregator, notificationId } from './batch.aggregator.js';
export type { BatchSettings } from './batch.aggregator.js';
