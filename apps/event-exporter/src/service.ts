import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { LeaseElector, loadKubeConfig, type BackoffOptions } from '@nm/kube';
import type { Runtime, ServiceDefinition } from '@nm/service-kit';
import { EventExporterEnvSchema, eventExporterOptionsFromEnv } from './event-exporter.env.js';
import { EventExporter, type EventExporterOptions } from './event.exporter.js';
import { EventSource, type EventApi } from './event.source.js';
import { objectLabelReader } from './object.labels.js';
import { redisOccurrenceStore } from './occurrence.store.js';

export interface EventExporterServiceOptions extends EventExporterOptions {
  kubeConfig: KubeConfig;
  /** Event APIs to watch (default core/v1). */
  apis?: readonly EventApi[];
  /** Namespace of the Lease. */
  namespace: string;
  /** Lease name (default `notification-manager-event-exporter`), duration and renew period. */
  lease?: { name?: string; durationMs?: number; renewMs?: number; retryMs?: number };
  /** This replica's identity in the Lease (default the runtime's instance). */
  identity?: string;
  /** Restart backoff of a failed list/watch. */
  backoff?: BackoffOptions;
  /** The clock (tests). */
  now?: () => number;
}

export interface EventExporterHandle {
  readonly exporter: EventExporter;
  readonly source: EventSource;
  readonly elector: LeaseElector;
  stop(opts?: { releaseLease?: boolean }): Promise<void>;
}

export const DEFAULT_EVENTS_LEASE_NAME = 'notification-manager-event-exporter';

/**
 * The event exporter on a runtime: informers on Events, a Lease so one replica exports, the
 * EventRules from the mirrored configuration, occurrences remembered in Redis, alerts published
 * to `nm.alerts.ingested`. Ready once NATS, Redis and the configuration are, and every informer listed.
 */
export function startEventExporter(rt: Runtime, opts: EventExporterServiceOptions): EventExporterHandle {
  const kc = opts.kubeConfig;
  const lookupFailures = rt.metrics.counter('nm_events_object_lookup_failures_total', 'Involved objects whose labels could not be read for an involvedObjectSelector');
  const exporter = new EventExporter(
    {
      publisher: rt.publisher,
      store: redisOccurrenceStore(rt.redis),
      snapshot: () => rt.config.current(),
      configLoaded: () => rt.config.isLoaded(),
      isLeader: () => elector.isLeader(),
      objectLabels: objectLabelReader(kc, rt.logger, { onFailure: () => lookupFailures.inc() }),
      logger: rt.logger,
      metrics: rt.metrics,
      ...(opts.now ? { now: opts.now } : {}),
    },
    opts,
  );
  const source = new EventSource(kc, opts.apis ?? ['core/v1'], rt.logger, (o, api) => exporter.offer(o, api), opts.backoff);
  const elector: LeaseElector = new LeaseElector(
    kc.makeApiClient(CoordinationV1Api),
    {
      name: opts.lease?.name ?? DEFAULT_EVENTS_LEASE_NAME,
      namespace: opts.namespace,
      identity: opts.identity ?? rt.instance,
      ...(opts.lease?.durationMs !== undefined ? { durationMs: opts.lease.durationMs } : {}),
      ...(opts.lease?.renewMs !== undefined ? { renewMs: opts.lease.renewMs } : {}),
      ...(opts.lease?.retryMs !== undefined ? { retryMs: opts.lease.retryMs } : {}),
      metricPrefix: 'nm_event_exporter',
      leaderRole: 'this replica exports Kubernetes events',
    },
    rt.logger,
    rt.metrics,
    {
      onStartedLeading: () => exporter.resync([...source.cached()].map(([o]) => o)),
      onStoppedLeading: () => exporter.clear(),
    },
  );
  rt.health.addCheck({ name: 'kubernetes (events listed from the API server)', check: () => source.listed });
  source.start();
  elector.start();
  exporter.start();
  rt.logger.info({ server: kc.getCurrentCluster()?.server, apis: opts.apis ?? ['core/v1'] }, 'event exporter watching the Kubernetes API');
  const handle: EventExporterHandle = {
    exporter,
    source,
    elector,
    stop: async (o = {}) => {
      await source.stop();
      await exporter.stop();
      await elector.stop(o.releaseLease ?? true);
    },
  };
  return handle;
}

/**
 * The event exporter as a service definition: `apps/event-exporter` runs it alone, and
 * `apps/standalone` starts it when `NM_EVENTS_ENABLED=true`. The cluster comes from `KUBECONFIG`,
 * else the pod's service account, else `~/.kube/config` (as for config-sync).
 */
export const eventExporterService: ServiceDefinition<typeof EventExporterEnvSchema> = {
  name: 'event-exporter',
  env: EventExporterEnvSchema,
  // (an invalid setting or kubeconfig rejects: the service exits with one line)
  start: (rt, env) => new Promise<EventExporterHandle>((resolve) => resolve(startEventExporter(rt, { ...eventExporterOptionsFromEnv(env), kubeConfig: loadKubeConfig(process.env) }))),
};
