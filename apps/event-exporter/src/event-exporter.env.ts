import { z } from 'zod';
import { parseDuration } from '@nm/model';
import { EnvError } from '@nm/telemetry';
import { EVENT_APIS, type EventApi } from './event.apis.js';

/** A Go-style duration (`5m`, `1h`, `200ms`) read as milliseconds. */
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `must be a duration such as 30s, 5m or 1h: ${(err as Error).message}` });
        return z.NEVER;
      }
    });

/**
 * The event exporter's environment besides the common one (read by `apps/event-exporter` and, with
 * `NM_EVENTS_ENABLED=true`, by `apps/standalone`). The cluster comes from `KUBECONFIG`, else the
 * pod's service account, else `~/.kube/config`, as for config-sync.
 */
export const EventExporterEnvSchema = z.object({
  /** Which Event API to watch: `core/v1` (default), `events.k8s.io/v1`, or `both`. */
  NM_EVENTS_API: z.enum([...EVENT_APIS, 'both']).default('core/v1'),
  /** At most one alert per event per this interval; occurrences in between are counted into the next alert. */
  NM_EVENTS_INTERVAL: duration('5m'),
  /** Occurrences older than this are not exported (after an outage, or found at start). */
  NM_EVENTS_MAX_AGE: duration('1h').refine((ms) => ms >= 60_000, 'must be at least 1m'),
  /** How long events are collected into one message batch. */
  NM_EVENTS_FLUSH: duration('200ms').refine((ms) => ms > 0, 'must be above 0'),
  /** Namespace of the Lease the replicas elect a leader with (the one notification-manager runs in). */
  NM_NAMESPACE: z.string().min(1).default('kubesphere-monitoring-system'),
  NM_EVENTS_LEASE_NAME: z.string().min(1).default('notification-manager-event-exporter'),
  NM_LEASE_DURATION: duration('15s').refine((ms) => ms >= 1000, 'must be at least 1s'),
  NM_LEASE_RENEW: duration('5s').refine((ms) => ms > 0, 'must be above 0'),
  KUBECONFIG: z.string().optional(),
  KUBERNETES_SERVICE_HOST: z.string().optional(),
});
export type EventExporterEnv = z.infer<typeof EventExporterEnvSchema>;

/** The options of `startEventExporter` that come from the environment. Throws EnvError with one line. */
export function eventExporterOptionsFromEnv(env: EventExporterEnv): {
  apis: EventApi[];
  intervalMs: number;
  maxAgeMs: number;
  flushMs: number;
  namespace: string;
  lease: { name: string; durationMs: number; renewMs: number };
} {
  if (env.NM_LEASE_RENEW * 3 > env.NM_LEASE_DURATION * 2) {
    throw new EnvError('invalid environment: NM_LEASE_RENEW: must be at most two thirds of NM_LEASE_DURATION (the leader must renew before its renew deadline)');
  }
  return {
    apis: env.NM_EVENTS_API === 'both' ? [...EVENT_APIS] : [env.NM_EVENTS_API],
    intervalMs: env.NM_EVENTS_INTERVAL,
    maxAgeMs: env.NM_EVENTS_MAX_AGE,
    flushMs: env.NM_EVENTS_FLUSH,
    namespace: env.NM_NAMESPACE,
    lease: { name: env.NM_EVENTS_LEASE_NAME, durationMs: env.NM_LEASE_DURATION, renewMs: env.NM_LEASE_RENEW },
  };
}
