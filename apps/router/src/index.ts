export { RouterEnvSchema, routerService, startRouter } from './service.js';
export type { RouterOptions } from './service.js';
export { createRouterHandler } from './router.handler.js';
export { TenantSidecarClient, tenantSidecarResolver, tenantSidecarUrlOf, TENANT_SIDECAR_PORT } from './tenant.sidecar.js';
