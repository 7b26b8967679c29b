import { DEFAULT_TENANT, GLOBAL_TENANT, type Channel } from '@nm/contracts';
import { classify, tenantIdOf } from './classify.js';
import type { Config } from './crd/config.schema.js';
import type { Receiver } from './crd/receiver.schema.js';
import { configSection, configSelectorOf, receiverSection } from './sections.js';
import { matchesSelector } from './selector.js';
import { effectiveSettings, type ConfigSnapshot, type EffectiveSettings } from './snapshot.js';

/** Missing or invalid `priority` label (upstream: MaxInt32 − 1). */
export const DEFAULT_PRIORITY = 2147483646;

/** Configs classified once per snapshot: tenant id (a tenant, `GLOBAL_TENANT` or `DEFAULT_TENANT`) → Configs. */
export interface ConfigIndex {
  settings: EffectiveSettings;
  byTenant: ReadonlyMap<string, readonly Config[]>;
}

export function buildConfigIndex(configs: readonly Config[], settings: EffectiveSettings): ConfigIndex {
  const byTenant = new Map<string, Config[]>();
  for (const config of configs) {
    const c = classify(config.metadata.labels, settings);
    if (!c) continue;
    const id = tenantIdOf(c);
    let list = byTenant.get(id);
    if (!list) byTenant.set(id, (list = []));
    list.push(config);
  }
  return { settings, byTenant };
}

/** The `priority` label as upstream reads it (`strconv.Atoi`), or {@link DEFAULT_PRIORITY}. */
export function configPriority(config: Config): number {
  const raw = config.metadata.labels?.['priority'];
  if (raw === undefined || !/^[+-]?\d+$/.test(raw)) return DEFAULT_PRIORITY;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : DEFAULT_PRIORITY;
}

function best(candidates: readonly Config[]): Config | undefined {
  let winner: Config | undefined;
  let winnerPriority = 0;
  for (const c of candidates) {
    const p = configPriority(c);
    if (
      winner === undefined ||
      p < winnerPriority ||
      (p === winnerPriority && c.metadata.name < winner.metadata.name)
    ) {
      winner = c;
      winnerPriority = p;
    }
  }
  return winner;
}

function isConfigIndex(x: ConfigSnapshot | ConfigIndex | { configs: ConfigIndex }): x is ConfigIndex {
  return 'byTenant' in x;
}

/**
 * The Config a receiver's channel section uses (reference §1.5.1):
 * - **global** receiver: default Configs with a section for `channel`, filtered by the section's
 *   `<channel>ConfigSelector` (absent = any);
 * - **tenant** receiver: that tenant's Configs with the section, filtered by the selector; when
 *   none qualifies, **any** default Config with the section (the selector is ignored);
 * - a receiver classified **default** is treated as the tenant `DEFAULT_TENANT`, whose Configs
 *   are the default Configs.
 * Among candidates the lowest `priority` label wins; ties go to the smallest name, so the pick is
 * deterministic (upstream leaves it to map order). `undefined` when nothing qualifies or the
 * receiver is unclassified / has no such section.
 *
 * `source` may be a snapshot (indexed on the fly), a {@link ConfigIndex}, or anything holding
 * one as `configs` (such as a `RoutingIndex`).
 */
export function resolveConfig(
  receiver: Receiver,
  channel: Channel,
  source: ConfigSnapshot | ConfigIndex | { configs: ConfigIndex },
): Config | undefined {
  const index: ConfigIndex = isConfigIndex(source)
    ? source
    : Array.isArray(source.configs)
      ? buildConfigIndex(source.configs, effectiveSettings((source as ConfigSnapshot).notificationManager))
      : (source as { configs: ConfigIndex }).configs;
  const section = receiverSection(receiver, channel);
  if (!section) return undefined;
  const scope = classify(receiver.metadata.labels, index.settings);
  if (!scope) return undefined;
  const selector = configSelectorOf(section, channel);
  const withSection = (tenant: string): Config[] =>
    (index.byTenant.get(tenant) ?? []).filter((c) => configSection(c, channel) !== undefined);
  const defaults = withSection(DEFAULT_TENANT);
  const tenant = tenantIdOf(scope);
  if (tenant === GLOBAL_TENANT) return best(defaults.filter((c) => matchesSelector(selector, c.metadata.labels ?? {})));
  const own = withSection(tenant).filter((c) => matchesSelector(selector, c.metadata.labels ?? {}));
  return best(own.length > 0 ? own : defaults);
}
