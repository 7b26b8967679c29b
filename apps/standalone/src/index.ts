export {
  applyHeapGrowth,
  DEFAULT_HEAP_GROWING_PERCENT,
  DEFAULT_WORKERS,
  heapGrowthFlag,
  DEFINED_SERVICES,
  INLINE_HOPS,
  SENDER_SERVICES,
  STAGE_NAMES,
  STAGE_PLACEMENT,
  StandaloneEnvSchema,
  parseStandaloneEnv,
  placementFor,
  startStages,
  startStandalone,
} from './standalone.js';
export type { StandaloneEnv, StandaloneOptions } from './standalone.js';
