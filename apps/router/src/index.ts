export { RouterEnvSchema, routerService, startRouter } from './service.js';
export type { RouterOptions } from './service.js';
export { createRouterHandler } from './router.handler.js';
export { TenantSidecarClient } from './tenant.sidecar.js';
