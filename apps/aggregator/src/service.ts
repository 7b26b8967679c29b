import { consumers, RoutedBatchSchema } from '@nm/contracts';
import { startConsumer } from '@nm/bus';
import { effectiveSettings } from '@nm/model';
import type { Runtime } from '@nm/service-kit';
import { BatchAggregator, type BatchSettings } from './batch.aggregator.js';
import { startUnclaimedReaper } from './unclaimed.reaper.js';

export interface AggregatorOptions {
  /** Override the NotificationManager's batchMaxWait (ms), e.g. for tests. */
  batchMaxWaitMs?: number;
}

export async function startAggregator(rt: Runtime, opts: AggregatorOptions = {}): Promise<{ stop(): Promise<void> }> {
  const bus = await rt.connected;
  const settings = (): BatchSettings => {
    const s = effectiveSettings(rt.config.current().notificationManager);
    return { groupLabels: s.groupLabels, batchMaxSize: s.batchMaxSize, batchMaxWaitMs: opts.batchMaxWaitMs ?? s.batchMaxWaitMs };
  };
  const aggregator = new BatchAggregator({ publisher: rt.publisher, settings, logger: rt.logger, metrics: rt.metrics });
  const consumer = await startConsumer(bus, rt.publisher, rt.logger, rt.metrics, {
    consumer: consumers.aggregator,
    schema: RoutedBatchSchema,
    handler: aggregator.handle,
    dlqStage: 'aggregator',
    // Messages are held until their groups flush, so many are in flight at once.
    concurrency: consumers.aggregator.maxAckPending,
  });
  rt.logger.info('aggregator consuming');
  const reaper = startUnclaimedReaper({ bus, publisher: rt.publisher, redis: rt.redis, logger: rt.logger, metrics: rt.metrics, instance: rt.instance });
  return {
    stop: async () => {
      await reaper.stop();
      const stopping = consumer.stop(15_000);
      await aggregator.flushAll();
      await stopping;
    },
  };
}
