import { DEFAULT_TENANT, GLOBAL_TENANT } from '@nm/contracts';
import type { EffectiveSettings } from './snapshot.js';
import { hasAllPairs, matchesSelector, type Labels } from './selector.js';

export type Classification = { scope: 'global' } | { scope: 'tenant'; tenant: string } | { scope: 'default' };

type ClassifySettings = Pick<EffectiveSettings, 'tenantKey' | 'globalReceiverSelector' | 'tenantReceiverSelector' | 'defaultConfigSelector'>;

/**
 * Classifies a Receiver, Config, Silence or InhibitRule by its metadata labels (reference §1.4/§1.5):
 * 1. **global** when the labels carry every pair of `globalReceiverSelector.matchLabels`;
 * 2. else **tenant** when they carry every pair of `tenantReceiverSelector.matchLabels` and a
 *    non-empty `<tenantKey>` label, whose value is the tenant id;
 * 3. else **default** when `defaultConfigSelector` is set and matches (full selector semantics);
 * 4. else `undefined` (ignored).
 *
 * Deliberate difference (reference §12.11): upstream treats the global and tenant selectors as
 * an OR over their pairs, so with `{type: global, team: ops}` any object labelled just
 * `team: ops` became global. We require all pairs (Kubernetes `matchLabels` semantics); for the
 * usual one-pair selectors both rules agree. An empty or absent global/tenant selector matches
 * nothing (as upstream), and only `matchLabels` of those two selectors is used (as upstream).
 */
export function classify(labels: Labels | undefined, settings: ClassifySettings): Classification | undefined {
  const l = labels ?? {};
  if (hasAllPairs(settings.globalReceiverSelector?.matchLabels, l)) return { scope: 'global' };
  if (hasAllPairs(settings.tenantReceiverSelector?.matchLabels, l)) {
    const tenant = l[settings.tenantKey];
    if (tenant !== undefined && tenant !== '') return { scope: 'tenant', tenant };
  }
  if (settings.defaultConfigSelector && matchesSelector(settings.defaultConfigSelector, l)) return { scope: 'default' };
  return undefined;
}

/** The tenant id a classification files an object under (`GLOBAL_TENANT` / `DEFAULT_TENANT` / the tenant). */
export function tenantIdOf(c: Classification): string {
  switch (c.scope) {
    case 'global':
      return GLOBAL_TENANT;
    case 'default':
      return DEFAULT_TENANT;
    case 'tenant':
      return c.tenant;
  }
}
