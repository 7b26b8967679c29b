export { startAggregator, aggregatorOptionsFromEnv, AggregatorEnvSchema, DEFAULT_MAX_HELD, STATEFUL_DEFAULTS } from './service.js';
export { aggregationModeOf } from './mode.js';
export { StatefulAggregator } from './stateful/stateful.aggregator.js';
export type { AggregatorOptions } from './service.js';
export { BatchAggregator, notificationId } from './batch.aggregator.js';
export type { BatchSettings } from './batch.aggregator.js';
