import { z } from 'zod';
import { AdmittedBatchSchema, consumers, payloadShapes } from '@nm/contracts';
import { startConsumer } from '@nm/bus';
import { consumeWhenConfigured, type Runtime, type ServiceDefinition } from '@nm/service-kit';
import { createRouterHandler } from './router.handler.js';
import { tenantSidecarResolver } from './tenant.sidecar.js';

export interface RouterOptions {
  /**
   * Base URL of a notification-manager-compatible tenant sidecar (tenantKey other than namespace).
   * Overrides the NotificationManager's `spec.sidecars.tenant` (which means `http://localhost:19094`).
   */
  tenantSidecarUrl?: string;
  concurrency?: number;
}

export async function startRouter(rt: Runtime, opts: RouterOptions = {}): Promise<{ stop(): Promise<void> }> {
  const bus = await rt.connected;
  const handler = createRouterHandler({
    snapshot: () => rt.config.current(),
    publisher: rt.publisher,
    metrics: rt.metrics,
    sidecarOf: tenantSidecarResolver(rt.metrics, opts.tenantSidecarUrl),
  });
  const consumer = consumeWhenConfigured(rt, () =>
    startConsumer(bus, rt.publisher, rt.logger, rt.metrics, {
      attempts: rt.attempts,
      consumer: consumers.router,
      schema: AdmittedBatchSchema,
      quickCheck: payloadShapes.admitted,
      handler,
      dlqStage: 'router',
      concurrency: opts.concurrency ?? 8,
    }),
  );
  rt.logger.info('router started (consumes once the configuration is loaded)');
  return { stop: () => consumer.stop() };
}

/** The router's own environment, read by `apps/router` and `apps/standalone`. */
export const RouterEnvSchema = z.object({
  NM_TENANT_SIDECAR_URL: z.url().optional(),
});

export const routerService: ServiceDefinition<typeof RouterEnvSchema> = {
  name: 'router',
  env: RouterEnvSchema,
  start: (rt, env) => startRouter(rt, env.NM_TENANT_SIDECAR_URL ? { tenantSidecarUrl: env.NM_TENANT_SIDECAR_URL } : {}),
};
