import { InhibitionStore } from '@nm/config-store';
import { buildRoutingIndex, silencesMatching, type ConfigSnapshot, type RoutingIndex } from '@nm/model';
import type { Runtime } from '@nm/service-kit';
import type { MutedAt } from './stateful.aggregator.js';

/**
 * Silences and inhibition re-checked when a stateful group flushes (as Alertmanager does): global
 * Silences and InhibitRules, and those of the receiver's tenant. Inhibition sources are the firing
 * sources the silencer records in Redis.
 */
export function flushTimeMuting(redis: Runtime['redis'], snapshot: () => ConfigSnapshot): MutedAt {
  const inhibition = new InhibitionStore(redis, 24 * 3600 * 1000);
  let cached: RoutingIndex | undefined;
  return async (meta, alerts, now) => {
    const snap = snapshot();
    if (!cached || cached.revision !== snap.revision) cached = buildRoutingIndex(snap);
    const idx = cached;
    const tz = idx.settings.timeZone;
    const tenant = meta.receiver.tenant;
    const tenantSilences = idx.tenantSilences.get(tenant) ?? [];
    const muted = new Set<string>();
    for (const a of alerts)
      if (silencesMatching(a.labels, idx.globalSilences, now, tz).length > 0 || silencesMatching(a.labels, tenantSilences, now, tz).length > 0)
        muted.add(a.fingerprint);
    const rules = [...idx.globalInhibitRules, ...(idx.tenantInhibitRules.get(tenant) ?? [])];
    if (rules.length > 0) {
      const hits = await inhibition.inhibitedBy(alerts, rules, now.getTime());
      hits.forEach((h, i) => {
        if (h.length > 0) muted.add(alerts[i]!.fingerprint);
      });
    }
    return muted;
  };
}
