/**
 * What every sender process sets up for its outbound connections: the egress guard
 * (`NM_EGRESS_DENY`, `NM_EGRESS_ALLOW`, ingest's own address), the `Retry-After` cap
 * (`NM_RETRY_AFTER_MAX`), the answer size limit (`NM_HTTP_MAX_RESPONSE_BYTES`, read by the http
 * client), and the metrics `nm_egress_denied_total` and `nm_insecure_skip_verify`.
 */
import type {
  EgressGuard} from '@nm/channels';
import {
  egressGuardFromEnv,
  maxResponseBytesFromEnv,
  retryAfterMaxFromEnv,
  setDefaultEgressGuard,
  setRetryAfterMax,
  type EgressEnv,
} from '@nm/channels';
import type { Channel } from '@nm/contracts';
import type { ConfigSnapshot } from '@nm/model';
import type { Runtime } from '@nm/service-kit';

let configured: { guard: EgressGuard; key: string; counted: boolean } | undefined;

/** How many `insecureSkipVerify: true` a channel's Receivers and Configs hold (in their channel section). */
export function insecureSkipVerifyCount(snapshot: ConfigSnapshot, channel: Channel): number {
  let count = 0;
  const walk = (value: unknown, depth: number): void => {
    if (depth > 8 || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const v of value) walk(v, depth + 1);
      return;
    }
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k === 'insecureSkipVerify' && v === true) count++;
      else walk(v, depth + 1);
    }
  };
  for (const r of snapshot.receivers) walk((r.spec as Record<string, unknown> | undefined)?.[channel], 0);
  for (const c of snapshot.configs) walk((c.spec as Record<string, unknown> | undefined)?.[channel], 0);
  return count;
}

/**
 * Reads and validates the variables (a bad CIDR, duration or size stops the service with a line
 * naming the variable), installs the process's guard once, and registers this channel's metrics.
 */
export function setupSenderTransport(rt: Runtime, channel: Channel, env: EgressEnv & Record<string, string | undefined> = process.env): void {
  const key = JSON.stringify([env.NM_EGRESS_DENY, env.NM_EGRESS_ALLOW, env.NM_INGEST_URL, env.NM_INGEST_PORT, env.NM_INGEST_HOST, env.NM_ADMIN_PORT, env.NM_ADMIN_HOST]);
  if (configured?.key !== key) {
    const guard = egressGuardFromEnv(env);
    setDefaultEgressGuard(guard);
    configured = { guard, key, counted: false };
    rt.logger.info({ egress: guard.describe() }, 'egress guard');
  }
  setRetryAfterMax(retryAfterMaxFromEnv(env));
  maxResponseBytesFromEnv(env);

  if (!configured.counted) {
    // one listener per guard: in the single process every sender shares it (and the registry)
    configured.counted = true;
    const denied = rt.metrics.counter('nm_egress_denied_total', 'Outbound connections the egress guard refused, by reason', ['reason'] as const);
    configured.guard.onDenied((reason) => denied.inc({ reason }));
  }

  const gauge = rt.metrics.gauge('nm_insecure_skip_verify', 'insecureSkipVerify: true in the Receivers and Configs of a channel (TLS verification off)', ['channel'] as const);
  let seen: { snapshot: ConfigSnapshot; count: number } | undefined;
  const update = (): void => {
    if (!rt.config.isLoaded()) return;
    const snapshot = rt.config.current();
    if (seen?.snapshot !== snapshot) seen = { snapshot, count: insecureSkipVerifyCount(snapshot, channel) };
    gauge.set({ channel }, seen.count);
  };
  rt.config.onChange(() => update());
  const timer = setInterval(update, 15_000);
  timer.unref();
  rt.onClose(() => clearInterval(timer));
  update();
}
