import { DEFAULT_TENANT, GLOBAL_TENANT, receiverKey, type ReceiverRef } from '@nm/contracts';
import { classify, tenantIdOf, type Classification } from './classify.js';
import { buildConfigIndex, type ConfigIndex } from './config.resolve.js';
import type { InhibitRule } from './crd/inhibit-rule.schema.js';
import type { RoutePolicy } from './crd/notification-manager.schema.js';
import type { Receiver, ReceiverSectionCommon } from './crd/receiver.schema.js';
import type { Router } from './crd/router.schema.js';
import type { Silence } from './crd/silence.schema.js';
import { regexMatches } from './regex.js';
import { isEnabled, receiverSections } from './sections.js';
import { matchesSelector, type Labels } from './selector.js';
import { inhibitedBy, type InhibitionAlert } from './inhibit.rule.js';
import { isSilenceActive, silenceMatches } from './silence.js';
import { effectiveSettings, type ConfigSnapshot, type EffectiveSettings } from './snapshot.js';
import { namespaceUsersFromRoleBindings, tenantsOfAlert, type TenantSource, type TenantsOfNamespace } from './tenancy.js';

/** One internal receiver: a Receiver CR's channel section. */
export interface IndexedReceiver {
  ref: ReceiverRef;
  receiver: Receiver;
  section: ReceiverSectionCommon;
  scope: Classification;
  /** The Receiver CR's labels (what `Router.receivers.selector` matches). */
  labels: Labels;
}

export interface IndexedRouter {
  router: Router;
  name: string;
  enabled: boolean;
  /** Every internal receiver the Router targets, enabled or not (alert-independent). */
  targets: readonly IndexedReceiver[];
}

/** Everything routing needs, classified once per snapshot revision. */
export interface RoutingIndex {
  revision: number;
  settings: EffectiveSettings;
  /** Classified internal receivers, sorted by name then channel. Unclassified Receivers are left out (as upstream). */
  receivers: readonly IndexedReceiver[];
  /** Tenant id (a tenant, `GLOBAL_TENANT`, `DEFAULT_TENANT`) → its internal receivers. */
  byTenant: ReadonlyMap<string, readonly IndexedReceiver[]>;
  /** Routers sorted by name. */
  routers: readonly IndexedRouter[];
  globalSilences: readonly Silence[];
  tenantSilences: ReadonlyMap<string, readonly Silence[]>;
  globalInhibitRules: readonly InhibitRule[];
  tenantInhibitRules: ReadonlyMap<string, readonly InhibitRule[]>;
  configs: ConfigIndex;
  /** Namespace → users from RoleBindings: the tenant lookup for tenantKey `user` when the caller supplies none. */
  namespaceUsers: ReadonlyMap<string, readonly string[]>;
  /** Silence activity memo for one instant (routing a batch evaluates the same `now` many times). */
  readonly activity: { at: number; active: Map<Silence, boolean> };
}

const byName = <T extends { metadata: { name: string } }>(a: T, b: T): number =>
  a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Builds the routing index of a snapshot (classification of receivers, silences, inhibit rules; Router targets). */
export function buildRoutingIndex(snapshot: ConfigSnapshot): RoutingIndex {
  const settings = effectiveSettings(snapshot.notificationManager);
  const receivers: IndexedReceiver[] = [];
  const byTenant = new Map<string, IndexedReceiver[]>();
  for (const receiver of [...snapshot.receivers].sort(byName)) {
    const labels = receiver.metadata.labels ?? {};
    const scope = classify(labels, settings);
    if (!scope) continue;
    const tenant = tenantIdOf(scope);
    for (const { channel, section } of receiverSections(receiver)) {
      const r: IndexedReceiver = { ref: { name: receiver.metadata.name, channel, tenant }, receiver, section, scope, labels };
      receivers.push(r);
      push(byTenant, tenant, r);
    }
  }

  const routers = [...snapshot.routers].sort(byName).map((router): IndexedRouter => ({
    router,
    name: router.metadata.name,
    enabled: isEnabled(router.spec),
    targets: routerTargets(router, receivers, byTenant),
  }));

  const globalSilences: Silence[] = [];
  const tenantSilences = new Map<string, Silence[]>();
  for (const s of [...snapshot.silences].sort(byName)) {
    const c = classify(s.metadata.labels, settings);
    if (c?.scope === 'global') globalSilences.push(s);
    else if (c?.scope === 'tenant') push(tenantSilences, c.tenant, s);
  }
  const globalInhibitRules: InhibitRule[] = [];
  const tenantInhibitRules = new Map<string, InhibitRule[]>();
  for (const r of [...snapshot.inhibitRules].sort(byName)) {
    const c = classify(r.metadata.labels, settings);
    if (c?.scope === 'global') globalInhibitRules.push(r);
    else if (c?.scope === 'tenant') push(tenantInhibitRules, c.tenant, r);
  }

  return {
    revision: snapshot.revision,
    settings,
    receivers,
    byTenant,
    routers,
    globalSilences,
    tenantSilences,
    globalInhibitRules,
    tenantInhibitRules,
    configs: buildConfigIndex(snapshot.configs, settings),
    namespaceUsers: namespaceUsersFromRoleBindings(snapshot.roleBindings),
    activity: { at: Number.NaN, active: new Map() },
  };
}

const lower = (s: string): string => s.toLowerCase();

/**
 * The internal receivers a Router targets (reference §1.6): those named in `receivers.name`, or
 * whose name matches `regexName` (unanchored), or whose CR labels match `selector` — restricted to
 * `receivers.type` when set (compared case-insensitively, unlike upstream, issue #166) — plus,
 * for every `channels[]` entry, the receivers of that tenant of the listed types (all when empty).
 * Receivers of any scope can be targeted, including other tenants' and the default pseudo-tenant's.
 */
export function routerTargets(
  router: Router,
  receivers: readonly IndexedReceiver[],
  byTenant: ReadonlyMap<string, readonly IndexedReceiver[]>,
): IndexedReceiver[] {
  const spec = router.spec.receivers ?? {};
  const names = new Set(spec.name ?? []);
  const type = spec.type ? lower(spec.type) : undefined;
  const out = new Map<string, IndexedReceiver>();
  const hasCriterion = names.size > 0 || !!spec.regexName || spec.selector !== undefined;
  if (hasCriterion) {
    for (const r of receivers) {
      if (type !== undefined && r.ref.channel !== type) continue;
      if (
        names.has(r.ref.name) ||
        (!!spec.regexName && regexMatches(spec.regexName, r.ref.name)) ||
        (spec.selector !== undefined && matchesSelector(spec.selector, r.labels))
      ) {
        out.set(receiverKey(r.ref), r);
      }
    }
  }
  for (const ch of spec.channels ?? []) {
    const types = new Set((ch.type ?? []).map(lower));
    for (const r of byTenant.get(ch.tenant) ?? []) {
      if (types.size === 0 || types.has(r.ref.channel)) out.set(receiverKey(r.ref), r);
    }
  }
  return [...out.values()];
}

export type ExplainStep =
  /** Enabled Routers whose `alertSelector` matched the alert. */
  | { kind: 'routers'; matched: string[] }
  /** What one matched Router contributed. */
  | { kind: 'router-receivers'; router: string; receivers: ReceiverRef[] }
  /** A Router sent a tenant's alert to a receiver of a tenant the alert does not belong to (upstream allows it). */
  | { kind: 'cross-tenant'; router: string; receiver: ReceiverRef; alertTenants: string[] }
  | { kind: 'tenants'; cluster: string; namespace: string | undefined; tenants: string[]; source: TenantSource }
  /** Whether namespace receivers (global + the alert's tenants') were added, per routePolicy. */
  | { kind: 'policy'; policy: RoutePolicy; namespaceReceivers: boolean; reason: string }
  | { kind: 'silenced'; receiver: ReceiverRef; silences: string[] }
  /** Tenant InhibitRules that muted the alert for a tenant receiver (only when `firingSources` is given). */
  | { kind: 'inhibited'; receiver: ReceiverRef; rules: string[] }
  | { kind: 'filtered'; receiver: ReceiverRef; reason: 'disabled' | 'alertSelector' };

export interface RouteDecision {
  receivers: ReceiverRef[];
  explain: ExplainStep[];
}

export interface RouteOptions {
  /**
   * Tenant lookup for tenantKey other than `namespace` (a tenant-sidecar-compatible service).
   * Returning undefined means the lookup failed: the alert reaches global receivers only.
   * When omitted, the snapshot's RoleBindings are used (cluster is ignored).
   */
  tenantsOfNamespace?: TenantsOfNamespace | undefined;
  /** Evaluation time of tenant silences; defaults to the current time. */
  now?: Date | undefined;
  /**
   * Firing alerts that may inhibit this one. When given, each tenant receiver also drops the
   * alert when an InhibitRule of its tenant inhibits it (global rules run before routing).
   */
  firingSources?: readonly InhibitionAlert[] | undefined;
  /**
   * Which explain steps to build: `all` (default) for the explain API, or `mutes` for the router's
   * hot path, which reads only what muted the alert for a receiver (`silenced`, `inhibited`,
   * `filtered`) and should not allocate a description of every decision for every alert.
   */
  explain?: 'all' | 'mutes' | undefined;
}

/** Memoised `isSilenceActive` for one instant. */
function activeAt(index: RoutingIndex, silence: Silence, now: Date): boolean {
  const memo = index.activity;
  if (memo.at !== now.getTime()) {
    memo.at = now.getTime();
    memo.active.clear();
  }
  let v = memo.active.get(silence);
  if (v === undefined) {
    v = isSilenceActive(silence, now, index.settings.timeZone);
    memo.active.set(silence, v);
  }
  return v;
}

/**
 * Decides which internal receivers an alert reaches (reference §2.4, §2.5, §6):
 * 1. enabled Routers whose `alertSelector` matches contribute their targets;
 * 2. namespace receivers — every global receiver plus the receivers of the alert's tenants
 *    (from its `namespace` label, see `tenantsOfAlert`) — are added per `routePolicy`:
 *    `All` always; `RouterFirst` only when the Routers contributed no enabled receiver;
 *    `RouterOnly` never, which also leaves out **global** receivers unless a Router names them
 *    (upstream behaviour, kept on purpose so RouterOnly means what it says);
 * 3. disabled receiver sections are dropped; each tenant receiver drops the alert when an active
 *    Silence of its tenant matches (or, given `firingSources`, an InhibitRule of its tenant
 *    inhibits it); each receiver drops it when its `alertSelector` does not match;
 * 4. duplicates are removed (a receiver is `<channel>/<name>`).
 * A tenant's alert reaches another tenant's receiver only through a Router that targets it; each
 * such delivery is recorded as a `cross-tenant` explain step. Global silences and inhibition are
 * not applied here (they run before routing).
 */
export function routeAlert(alert: InhibitionAlert, index: RoutingIndex, opts: RouteOptions = {}): RouteDecision {
  const labels = alert.labels;
  const explain: ExplainStep[] = [];
  const all = opts.explain !== 'mutes';
  const now = opts.now ?? new Date();
  const lookup: TenantsOfNamespace =
    opts.tenantsOfNamespace ?? ((_cluster, namespace) => index.namespaceUsers.get(namespace) ?? []);
  const alertTenants = tenantsOfAlert(labels, index.settings, lookup);
  if (all) explain.push({ kind: 'tenants', ...alertTenants });

  // An index holds one IndexedReceiver per receiver key (`<channel>/<name>`; Receivers are
  // cluster-scoped), shared by Router targets and tenants: a set of them dedups as the keys would,
  // without building and hashing a key per candidate per alert.
  const candidates = new Set<IndexedReceiver>();
  const matched = index.routers.filter((r) => r.enabled && matchesSelector(r.router.spec.alertSelector, labels));
  if (all) explain.push({ kind: 'routers', matched: matched.map((r) => r.name) });
  let routerContributed = false;
  for (const r of matched) {
    if (all) explain.push({ kind: 'router-receivers', router: r.name, receivers: r.targets.map((t) => t.ref) });
    for (const t of r.targets) {
      if (isEnabled(t.section)) routerContributed = true;
      if (all && t.scope.scope === 'tenant' && !alertTenants.tenants.includes(t.scope.tenant)) {
        explain.push({ kind: 'cross-tenant', router: r.name, receiver: t.ref, alertTenants: alertTenants.tenants });
      }
      candidates.add(t);
    }
  }

  const policy = index.settings.routePolicy;
  let addNamespace: boolean;
  let reason: string;
  if (policy === 'All') [addNamespace, reason] = [true, 'routePolicy All adds global and tenant receivers'];
  else if (policy === 'RouterOnly')
    [addNamespace, reason] = [false, 'routePolicy RouterOnly: only Router targets (global receivers included only when a Router names them)'];
  else if (routerContributed) [addNamespace, reason] = [false, 'routePolicy RouterFirst: Routers supplied receivers'];
  else [addNamespace, reason] = [true, 'routePolicy RouterFirst: no Router supplied a receiver'];
  if (all) explain.push({ kind: 'policy', policy, namespaceReceivers: addNamespace, reason });
  if (addNamespace) {
    for (const r of index.byTenant.get(GLOBAL_TENANT) ?? []) candidates.add(r);
    for (const tenant of alertTenants.tenants) for (const r of index.byTenant.get(tenant) ?? []) candidates.add(r);
  }

  const out: ReceiverRef[] = [];
  const silencedFor = new Map<string, string[]>();
  const inhibitedFor = new Map<string, string[]>();
  for (const r of candidates.values()) {
    if (!isEnabled(r.section)) {
      explain.push({ kind: 'filtered', receiver: r.ref, reason: 'disabled' });
      continue;
    }
    const tenant = r.ref.tenant;
    if (tenant !== GLOBAL_TENANT && tenant !== DEFAULT_TENANT) {
      let names = silencedFor.get(tenant);
      if (names === undefined) {
        names = (index.tenantSilences.get(tenant) ?? [])
          .filter((s) => silenceMatches(s, labels) && activeAt(index, s, now))
          .map((s) => s.metadata.name);
        silencedFor.set(tenant, names);
      }
      if (names.length > 0) {
        explain.push({ kind: 'silenced', receiver: r.ref, silences: names });
        continue;
      }
      if (opts.firingSources) {
        let rules = inhibitedFor.get(tenant);
        if (rules === undefined) {
          rules = inhibitedBy(alert, index.tenantInhibitRules.get(tenant) ?? [], opts.firingSources);
          inhibitedFor.set(tenant, rules);
        }
        if (rules.length > 0) {
          explain.push({ kind: 'inhibited', receiver: r.ref, rules });
          continue;
        }
      }
    }
    if (!matchesSelector(r.section.alertSelector, labels)) {
      explain.push({ kind: 'filtered', receiver: r.ref, reason: 'alertSelector' });
      continue;
    }
    out.push(r.ref);
  }
  return { receivers: out, explain };
}
