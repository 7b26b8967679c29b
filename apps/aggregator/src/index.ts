export { startAggregator } from './service.js';
export type { AggregatorOptions } from './service.js';
export { BatchAggregator, notificationId } from './batch.aggregator.js';
export type { BatchSettings } from './batch.aggregator.js';
