import { consumers, IngestedBatchSchema } from '@nm/contracts';
import { startConsumer } from '@nm/bus';
import type { Runtime } from '@nm/service-kit';
import { InhibitionStore } from './inhibition.store.js';
import { createSilencerHandler } from './silencer.handler.js';

export interface SilencerOptions {
  /** How long a firing inhibition source without `endsAt` keeps inhibiting after it was last seen. */
  inhibitSourceTtlMs?: number;
  concurrency?: number;
}

export async function startSilencer(rt: Runtime, opts: SilencerOptions = {}): Promise<{ stop(): Promise<void> }> {
  const bus = await rt.connected;
  const handler = createSilencerHandler({
    snapshot: () => rt.config.current(),
    publisher: rt.publisher,
    inhibition: new InhibitionStore(rt.redis, opts.inhibitSourceTtlMs ?? 24 * 3600 * 1000),
    metrics: rt.metrics,
  });
  const consumer = await startConsumer(bus, rt.publisher, rt.logger, rt.metrics, {
    consumer: consumers.silencer,
    schema: IngestedBatchSchema,
    handler,
    dlqStage: 'silencer',
    concurrency: opts.concurrency ?? 8,
  });
  rt.logger.info('silencer consuming');
  return { stop: () => consumer.stop() };
}
