import { z } from 'zod';
import { consumers, RoutedBatchSchema, type RoutedBatch, payloadShapes } from '@nm/contracts';
import { startConsumer, type HandlerContext } from '@nm/bus';
import { effectiveSettings } from '@nm/model';
import { consumeWhenConfigured, type IntakeReader, type Runtime } from '@nm/service-kit';
import { parseEnv } from '@nm/telemetry';
import { BatchAggregator, DEFAULT_AGGREGATOR_LIMITS, type BatchSettings } from './batch.aggregator.js';
import { redisPublishedLog } from './published.log.js';
import { NotifyBacklog } from './notify.backlog.js';
import { GroupState } from './stateful/group.state.js';
import { flushTimeMuting } from './stateful/muting.js';
import { PartitionLeases } from './stateful/partition.leases.js';
import { StatefulAggregator, type StatefulSettings } from './stateful/stateful.aggregator.js';
import { aggregationModeOf, type AggregationMode } from './mode.js';
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
  /** Batch mode: a due group keeps collecting while its channel has more unfinished notifications than this (default 32; 0 = off). */
  coalesceBacklog?: number;
  /** Batch mode: the longest a group is held that way, from its first alert (default 2000 ms). */
  coalesceMaxMs?: number;
  /** Batch mode: a due group also keeps collecting while routed messages arrive more than this many ms late (default 100; 0 = off). */
  coalesceLagMs?: number;
  /** Stateful mode: partitions of groups divided among replicas (default 32; the same on every replica). */
  partitions?: number;
  /** Stateful mode: partition lease (default 10 s): a dead replica's groups move within about this. */
  leaseMs?: number;
  /** Stateful mode: how often due groups are looked for (default 200 ms). */
  tickMs?: number;
  /**
   * Batch mode: ingest's state, where it runs in the same process and feeds this aggregator inline
   * (the single process: `ingestActivity.intake`); the input then ends once ingest is idle and its
   * messages were seen, instead of a quarter second after the last one.
   */
  intake?: IntakeReader;
}

export const STATEFUL_DEFAULTS = { partitions: 32, leaseMs: 10_000, tickMs: 200 } as const;

export const DEFAULT_MAX_HELD = 5000;

const count = z.coerce.number().int().min(1);
/** `NM_AGGREGATOR_MAX_HELD`, `NM_AGGREGATOR_MAX_GROUPS`, `NM_AGGREGATOR_MAX_GROUP_ALERTS`. */
export const AggregatorEnvSchema = z.object({
  NM_AGGREGATOR_MAX_HELD: count.max(consumers.aggregator.maxAckPending).default(DEFAULT_MAX_HELD),
  NM_AGGREGATOR_MAX_GROUPS: count.default(DEFAULT_AGGREGATOR_LIMITS.maxGroups),
  NM_AGGREGATOR_MAX_GROUP_ALERTS: count.default(DEFAULT_AGGREGATOR_LIMITS.maxGroupAlerts),
  NM_AGGREGATOR_COALESCE_BACKLOG: z.coerce.number().int().min(0).default(DEFAULT_AGGREGATOR_LIMITS.coalesceBacklog),
  NM_AGGREGATOR_COALESCE_MAX_MS: count.max(600_000).default(DEFAULT_AGGREGATOR_LIMITS.coalesceMaxMs),
  NM_AGGREGATOR_COALESCE_LAG_MS: z.coerce.number().int().min(0).max(600_000).default(DEFAULT_AGGREGATOR_LIMITS.coalesceLagMs),
  NM_AGGREGATOR_PARTITIONS: count.max(4096).default(STATEFUL_DEFAULTS.partitions),
  NM_AGGREGATOR_LEASE_MS: count.min(500).default(STATEFUL_DEFAULTS.leaseMs),
  NM_AGGREGATOR_TICK_MS: count.min(10).default(STATEFUL_DEFAULTS.tickMs),
});

export function aggregatorOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): AggregatorOptions {
  const e = parseEnv(AggregatorEnvSchema, env);
  return {
    maxHeld: e.NM_AGGREGATOR_MAX_HELD,
    maxGroups: e.NM_AGGREGATOR_MAX_GROUPS,
    maxGroupAlerts: e.NM_AGGREGATOR_MAX_GROUP_ALERTS,
    coalesceBacklog: e.NM_AGGREGATOR_COALESCE_BACKLOG,
    coalesceMaxMs: e.NM_AGGREGATOR_COALESCE_MAX_MS,
    coalesceLagMs: e.NM_AGGREGATOR_COALESCE_LAG_MS,
    partitions: e.NM_AGGREGATOR_PARTITIONS,
    leaseMs: e.NM_AGGREGATOR_LEASE_MS,
    tickMs: e.NM_AGGREGATOR_TICK_MS,
  };
}

export async function startAggregator(rt: Runtime, opts: AggregatorOptions = {}): Promise<{ stop(): Promise<void> }> {
  const bus = await rt.connected;
  const settings = (): BatchSettings => {
    const s = effectiveSettings(rt.config.current().notificationManager);
    return { groupLabels: s.groupLabels, batchMaxSize: s.batchMaxSize, batchMaxWaitMs: opts.batchMaxWaitMs ?? s.batchMaxWaitMs };
  };
  const backlog = NotifyBacklog.of(bus);
  backlog.start();
  const aggregator = new BatchAggregator({
    publisher: rt.publisher,
    settings,
    logger: rt.logger,
    metrics: rt.metrics,
    limits: {
      maxGroups: opts.maxGroups ?? DEFAULT_AGGREGATOR_LIMITS.maxGroups,
      maxGroupAlerts: opts.maxGroupAlerts ?? DEFAULT_AGGREGATOR_LIMITS.maxGroupAlerts,
      coalesceBacklog: opts.coalesceBacklog ?? DEFAULT_AGGREGATOR_LIMITS.coalesceBacklog,
      coalesceMaxMs: opts.coalesceMaxMs ?? DEFAULT_AGGREGATOR_LIMITS.coalesceMaxMs,
      coalesceLagMs: opts.coalesceLagMs ?? DEFAULT_AGGREGATOR_LIMITS.coalesceLagMs,
    },
    publishedLog: redisPublishedLog(rt.redis),
    backlog,
    ...(opts.intake ? { intake: opts.intake } : {}),
  });
  const unregisterLag = rt.metrics.scraped(
    'nm_aggregator_input_late_seconds',
    'Batch aggregation: how much later than usual (the lowest delay of the last minute) the last routed message arrived after ingest received its alerts; 0 when on time, or when none arrived in the last second. Above NM_AGGREGATOR_COALESCE_LAG_MS due groups are held (input-late)',
    [],
    () => Promise.resolve([{ labels: {}, value: aggregator.inputLateMs() / 1000 }]),
  );
  const statefulSettings = (): StatefulSettings => {
    const s = effectiveSettings(rt.config.current().notificationManager);
    return { groupLabels: s.groupLabels, batchMaxSize: s.batchMaxSize, ...s.aggregation };
  };
  const partitions = opts.partitions ?? STATEFUL_DEFAULTS.partitions;
  const state = new GroupState(rt.redis);
  const leases = new PartitionLeases(rt.redis, { partitions, leaseMs: opts.leaseMs ?? STATEFUL_DEFAULTS.leaseMs, instance: rt.instance, metrics: rt.metrics }, rt.logger);
  const stateful = new StatefulAggregator(
    {
      state,
      leases,
      publisher: rt.publisher,
      settings: statefulSettings,
      mutedAt: flushTimeMuting(rt.redis, () => rt.config.current()),
      logger: rt.logger,
      metrics: rt.metrics,
    },
    { partitions, tickMs: opts.tickMs ?? STATEFUL_DEFAULTS.tickMs },
  );
  const modes = rt.metrics.counter('nm_aggregator_messages_total', 'Routed messages by aggregation mode', ['mode'] as const);
  const handler = (batch: RoutedBatch, ctx: HandlerContext): Promise<void> => {
    const mode: AggregationMode = aggregationModeOf(effectiveSettings(rt.config.current().notificationManager).aggregation.mode, batch.source);
    modes.inc({ mode });
    return mode === 'stateful' ? stateful.add(batch) : aggregator.handle(batch, ctx);
  };
  const consumer = consumeWhenConfigured(rt, () =>
    startConsumer(bus, rt.publisher, rt.logger, rt.metrics, {
      attempts: rt.attempts,
      consumer: consumers.aggregator,
      schema: RoutedBatchSchema,
      quickCheck: payloadShapes.routed,
      handler,
      dlqStage: 'aggregator',
      // Messages are held until their groups flush, so many are in flight at once: this bounds them.
      concurrency: Math.min(opts.maxHeld ?? DEFAULT_MAX_HELD, consumers.aggregator.maxAckPending),
      // …without their bytes: the groups hold the alerts; a dead letter reads the message back
      releaseBytes: true,
    }),
  );
  leases.start();
  stateful.start();
  rt.logger.info('aggregator started (consumes once the configuration is loaded)');
  const reaper = startUnclaimedReaper({ bus, publisher: rt.publisher, redis: rt.redis, logger: rt.logger, metrics: rt.metrics, instance: rt.instance });
  return {
    stop: async () => {
      await reaper.stop();
      backlog.stop();
      unregisterLag();
      const stopping = consumer.stop(15_000);
      await aggregator.flushAll();
      await stopping;
      await stateful.stop();
      await leases.stop();
      state.close();
    },
  };
}
