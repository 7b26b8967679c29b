import { z } from 'zod';
import { parseDuration } from '@nm/model';
import { CommonEnvSchema } from '@nm/service-kit';
import { EnvError } from '@nm/telemetry';

/** A Go-style duration (`15s`, `1m`) read as milliseconds. */
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `must be a duration such as 15s or 1m: ${(err as Error).message}` });
        return z.NEVER;
      }
    });

export const ConfigSyncEnvSchema = CommonEnvSchema.extend({
  /** `directory` or `kubernetes`; default kubernetes inside a cluster without NM_CONFIG_DIR, else directory. */
  NM_CONFIG_SOURCE: z.enum(['directory', 'kubernetes']).optional(),
  NM_CONFIG_DIR: z.string().min(1).optional(),
  NM_CONFIG_POLL_MS: z.coerce.number().int().positive().default(1000),
  /** Namespace of notification-manager: Secrets/ConfigMaps referenced without one, and the Lease. */
  NM_NAMESPACE: z.string().min(1).default('kubesphere-monitoring-system'),
  NM_LEASE_NAME: z.string().min(1).default('notification-manager-config-sync'),
  NM_LEASE_DURATION: duration('15s').refine((ms) => ms >= 1000, 'must be at least 1s'),
  NM_LEASE_RENEW: duration('5s').refine((ms) => ms > 0, 'must be above 0'),
  /** This cluster's name for alerts without a `cluster` label, instead of the one found in KubeSphere's configuration. */
  NM_CLUSTER_NAME: z.string().trim().min(1).optional(),
  KUBERNETES_SERVICE_HOST: z.string().optional(),
  KUBECONFIG: z.string().optional(),
});

export type ConfigSyncEnv = z.infer<typeof ConfigSyncEnvSchema> & { source: 'directory' | 'kubernetes' };

/** Parses config-sync's environment and decides the configuration source. Throws EnvError with one line. */
export function parseConfigSyncEnv(env: NodeJS.ProcessEnv): ConfigSyncEnv {
  const r = ConfigSyncEnvSchema.safeParse(env);
  if (!r.success) throw new EnvError(`invalid environment: ${r.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`).join('; ')}`);
  const e = r.data;
  const source = e.NM_CONFIG_SOURCE ?? (e.KUBERNETES_SERVICE_HOST && !e.NM_CONFIG_DIR ? 'kubernetes' : 'directory');
  if (source === 'directory' && !e.NM_CONFIG_DIR) {
    throw new EnvError('invalid environment: NM_CONFIG_DIR: directory of manifests to mirror (directory mode), or set NM_CONFIG_SOURCE=kubernetes');
  }
  if (source === 'kubernetes' && e.NM_LEASE_RENEW * 3 > e.NM_LEASE_DURATION * 2) {
    throw new EnvError('invalid environment: NM_LEASE_RENEW: must be at most two thirds of NM_LEASE_DURATION (the leader must renew before its renew deadline)');
  }
  return { ...e, source };
}
