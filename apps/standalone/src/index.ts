export {
  applyHeapGrowth,
  DEFAULT_HEAP_GROWING_PERCENT,
  DEFAULT_WORKERS,
  heapGrowthFlag,
  DEFINED_SERVICES,
  INLINE_HOPS,
  MAIN_THREAD_SENDER_CONCURRENCY,
  SENDER_SERVICES,
  STAGE_NAMES,
  STAGE_PLACEMENT,
  StandaloneEnvSchema,
  parseStandaloneEnv,
  placementFor,
  startStages,
  startStandalone,
  withMainThreadSenderConcurrency,
} from './standalone.js';
export type { StagePlacement, StandaloneEnv, StandaloneOptions } from './standalone.js';
