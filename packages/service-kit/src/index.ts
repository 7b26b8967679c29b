export { CommonEnvSchema, PortSchema } from './env.schema.js';
export type { CommonEnv } from './env.schema.js';
export { createRuntime } from './runtime.js';
export type { Runtime, RuntimeOptions } from './runtime.js';
export { onShutdown } from './lifecycle.js';
export { consumeWhenConfigured } from './gated.consumer.js';
export { runService, servicesEnvShape } from './service.run.js';
export type { ServiceDefinition, Stoppable } from './service.run.js';
