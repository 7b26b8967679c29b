import { z } from 'zod';
import { consumers, IngestedBatchSchema, payloadShapes } from '@nm/contracts';
import { startConsumer } from '@nm/bus';
import { consumeWhenConfigured, type Runtime, type ServiceDefinition } from '@nm/service-kit';
import { InhibitionStore } from '@nm/config-store';
import { createSilencer } from './silencer.handler.js';

export interface SilencerOptions {
  /** How long a firing inhibition source without `endsAt` keeps inhibiting after it was last seen. */
  inhibitSourceTtlMs?: number;
  concurrency?: number;
}

export async function startSilencer(rt: Runtime, opts: SilencerOptions = {}): Promise<{ stop(): Promise<void> }> {
  const bus = await rt.connected;
  const silencer = createSilencer({
    snapshot: () => rt.config.current(),
    publisher: rt.publisher,
    inhibition: new InhibitionStore(rt.redis, opts.inhibitSourceTtlMs ?? 24 * 3600 * 1000),
    metrics: rt.metrics,
  });
  const consumer = consumeWhenConfigured(rt, () =>
    startConsumer(bus, rt.publisher, rt.logger, rt.metrics, {
      attempts: rt.attempts,
      consumer: consumers.silencer,
      schema: IngestedBatchSchema,
      quickCheck: payloadShapes.ingested,
      handler: silencer.handle,
      undecoded: silencer.undecoded,
      dlqStage: 'silencer',
      concurrency: opts.concurrency ?? 8,
    }),
  );
  rt.logger.info('silencer started (consumes once the configuration is loaded)');
  return { stop: () => consumer.stop() };
}

/** The silencer's own environment, read by `apps/silencer` and `apps/standalone`. */
export const SilencerEnvSchema = z.object({
  NM_INHIBIT_SOURCE_TTL_SECONDS: z.coerce.number().int().positive().default(86400),
});

export const silencerService: ServiceDefinition<typeof SilencerEnvSchema> = {
  name: 'silencer',
  env: SilencerEnvSchema,
  start: (rt, env) => startSilencer(rt, { inhibitSourceTtlMs: env.NM_INHIBIT_SOURCE_TTL_SECONDS * 1000 }),
};
