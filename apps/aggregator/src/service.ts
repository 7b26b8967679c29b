import { z } from 'zod';
import { consumers, RoutedBatchSchema } from '@nm/contracts';
import { startConsumer } from '@nm/bus';
import { effectiveSettings } from '@nm/model';
import { consumeWhenConfigured, type Runtime } from '@nm/service-kit';
import { parseEnv } from '@nm/telemetry';
import { BatchAggregator, DEFAULT_AGGREGATOR_LIMITS, type BatchSettings } from './batch.aggregator.js';
import { redisPublishedLog } from './published.log.js';
import { startUnclaimedReaper } from './unclaimed.reaper.js';

export interface AggregatorOptions {
  /** Override the NotificationManager's batchMaxWait (ms), e.g. for tests. */
  batchMaxWaitMs?: number;
  /** Routed messages one process holds un-acked while their groups wait (default 5000). */
  maxHeld?: number;
  /** Open groups in one process (default 20,000); at the limit new groups wait for flushes. */
  maxGroups?: number;
  /** A group flushes once it holds this many alerts, whatever batchMaxSize says (default 10,000). */
  maxGroupAlerts?: number;
}

export const DEFAULT_MAX_HELD = 5000;

const count = z.coerce.number().int().min(1);
/** `NM_AGGREGATOR_MAX_HELD`, `NM_AGGREGATOR_MAX_GROUPS`, `NM_AGGREGATOR_MAX_GROUP_ALERTS`. */
export const AggregatorEnvSchema = z.object({
  NM_AGGREGATOR_MAX_HELD: count.max(consumers.aggregator.maxAckPending).default(DEFAULT_MAX_HELD),
  NM_AGGREGATOR_MAX_GROUPS: count.default(DEFAULT_AGGREGATOR_LIMITS.maxGroups),
  NM_AGGREGATOR_MAX_GROUP_ALERTS: count.default(DEFAULT_AGGREGATOR_LIMITS.maxGroupAlerts),
});

export function aggregatorOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): AggregatorOptions {
  const e = parseEnv(AggregatorEnvSchema, env);
  return { maxHeld: e.NM_AGGREGATOR_MAX_HELD, maxGroups: e.NM_AGGREGATOR_MAX_GROUPS, maxGroupAlerts: e.NM_AGGREGATOR_MAX_GROUP_ALERTS };
}

export async function startAggregator(rt: Runtime, opts: AggregatorOptions = {}): Promise<{ stop(): Promise<void> }> {
  const bus = await rt.connected;
  const settings = (): BatchSettings => {
    const s = effectiveSettings(rt.config.current().notificationManager);
    return { groupLabels: s.groupLabels, batchMaxSize: s.batchMaxSize, batchMaxWaitMs: opts.batchMaxWaitMs ?? s.batchMaxWaitMs };
  };
  const aggregator = new BatchAggregator({
    publisher: rt.publisher,
    settings,
    logger: rt.logger,
    metrics: rt.metrics,
    limits: {
      maxGroups: opts.maxGroups ?? DEFAULT_AGGREGATOR_LIMITS.maxGroups,
      maxGroupAlerts: opts.maxGroupAlerts ?? DEFAULT_AGGREGATOR_LIMITS.maxGroupAlerts,
    },
    publishedLog: redisPublishedLog(rt.redis),
  });
  const consumer = consumeWhenConfigured(rt, () =>
    startConsumer(bus, rt.publisher, rt.logger, rt.metrics, {
      attempts: rt.attempts,
      consumer: consumers.aggregator,
      schema: RoutedBatchSchema,
      handler: aggregator.handle,
      dlqStage: 'aggregator',
      // Messages are held until their groups flush, so many are in flight at once: this bounds them.
      concurrency: Math.min(opts.maxHeld ?? DEFAULT_MAX_HELD, consumers.aggregator.maxAckPending),
    }),
  );
  rt.logger.info('aggregator started (consumes once the configuration is loaded)');
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
