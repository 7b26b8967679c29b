import type { LabelSelector } from './crd/common.schema.js';
import type { Config } from './crd/config.schema.js';
import type { RoleBinding } from './crd/core.schema.js';
import type { EventRule } from './crd/event-rule.schema.js';
import type { InhibitRule } from './crd/inhibit-rule.schema.js';
import type {
  AggregationMode,
  NotificationManager,
  RoutePolicy,
} from './crd/notification-manager.schema.js';
import type { Receiver } from './crd/receiver.schema.js';
import type { Router } from './crd/router.schema.js';
import type { Silence } from './crd/silence.schema.js';
import { parseDuration } from './duration.js';

/** Everything the decision functions need, as config-sync mirrored it at one revision. */
export interface ConfigSnapshot {
  revision: number;
  notificationManager?: NotificationManager | undefined;
  configs: Config[];
  receivers: Receiver[];
  routers: Router[];
  silences: Silence[];
  inhibitRules: InhibitRule[];
  /** Which Kubernetes and audit events become alerts (absent in snapshots built before the kind existed). */
  eventRules?: EventRule[];
  /** Keyed `namespace/name`; values decoded. */
  secrets: Record<string, Record<string, string>>;
  /** Keyed `namespace/name`. */
  configMaps: Record<string, Record<string, string>>;
  roleBindings: RoleBinding[];
}

export function emptySnapshot(revision = 0): ConfigSnapshot {
  return { revision, configs: [], receivers: [], routers: [], silences: [], inhibitRules: [], eventRules: [], secrets: {}, configMaps: {}, roleBindings: [] };
}

export interface AggregationSettings {
  mode: AggregationMode;
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  resolveTimeoutMs: number;
  sendResolved: boolean;
}

/** The NotificationManager settings with every default applied. */
export interface EffectiveSettings {
  /** Label on Receivers/Configs/Silences/InhibitRules that carries the tenant id. */
  tenantKey: string;
  globalReceiverSelector?: LabelSelector | undefined;
  tenantReceiverSelector?: LabelSelector | undefined;
  defaultConfigSelector?: LabelSelector | undefined;
  defaultSecretNamespace?: string | undefined;
  groupLabels: string[];
  batchMaxSize: number;
  batchMaxWaitMs: number;
  routePolicy: RoutePolicy;
  /** This cluster's name, used for alerts without a `cluster` label. */
  cluster: string;
  /** IANA zone for Silence schedules; undefined = the process time zone (upstream behaviour). */
  timeZone?: string | undefined;
  /** `spec.template.language`, default `English`. */
  language: string;
  aggregation: AggregationSettings;
}

export const DEFAULTS = {
  /**
   * With no NotificationManager object we use `namespace`: it works on plain Kubernetes without
   * a tenant sidecar, and it is what the upstream docs promise. (Upstream's code falls back to
   * `user`, but it also ignores every Receiver and Config until a NotificationManager exists,
   * so that fallback is never observable there.) Any NotificationManager must set it.
   */
  tenantKey: 'namespace',
  groupLabels: ['alertname', 'namespace'],
  batchMaxSize: 100,
  batchMaxWaitMs: 60_000,
  routePolicy: 'All',
  cluster: 'default',
  language: 'English',
  aggregation: {
    mode: 'auto',
    groupWaitMs: 30_000,
    groupIntervalMs: 300_000,
    repeatIntervalMs: 4 * 3_600_000,
    resolveTimeoutMs: 300_000,
    sendResolved: true,
  },
  /**
   * Selectors used only when no NotificationManager exists, so that a directory of manifests
   * without one behaves like the upstream samples (`type: global|tenant|default`). When a
   * NotificationManager exists its selectors are used exactly as given (absent = none).
   */
  globalReceiverSelector: { matchLabels: { type: 'global' } },
  tenantReceiverSelector: { matchLabels: { type: 'tenant' } },
  defaultConfigSelector: { matchLabels: { type: 'default' } },
} as const satisfies Omit<EffectiveSettings, 'aggregation' | 'groupLabels'> & {
  aggregation: AggregationSettings;
  groupLabels: readonly string[];
};

function durationMs(v: string | number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  try {
    return parseDuration(v);
  } catch {
    return fallback; // validation reports it; a live snapshot keeps working
  }
}

/**
 * Annotation config-sync puts on the mirrored NotificationManager with the cluster name it found
 * (`NM_CLUSTER_NAME`, else KubeSphere's cluster configuration). `receivers.options.global.cluster`
 * still comes first, as in notification-manager.
 */
export const CLUSTER_NAME_ANNOTATION = 'notification.kubesphere.io/cluster-name';

/**
 * Settings with defaults. Invalid durations (which validation rejects) fall back to defaults
 * rather than throwing, so a decision never fails on a value that slipped through.
 */
export function effectiveSettings(nm?: NotificationManager): EffectiveSettings {
  // asked per message and per group on the hot paths, for the same NotificationManager object until
  // the configuration changes (a snapshot's objects are new ones): the answer is kept per object
  // (several stages of one thread may each hold a snapshot of their own); callers never change it
  if (!nm) return (noManagerSettings ??= computeSettings(undefined));
  let settings = settingsOf.get(nm);
  if (!settings) {
    settings = computeSettings(nm);
    settingsOf.set(nm, settings);
  }
  return settings;
}

const settingsOf = new WeakMap<NotificationManager, EffectiveSettings>();
let noManagerSettings: EffectiveSettings | undefined;

function computeSettings(nm?: NotificationManager): EffectiveSettings {
  const agg = nm?.spec.aggregation;
  const aggregation: AggregationSettings = {
    mode: agg?.mode ?? DEFAULTS.aggregation.mode,
    groupWaitMs: durationMs(agg?.groupWait, DEFAULTS.aggregation.groupWaitMs),
    groupIntervalMs: durationMs(agg?.groupInterval, DEFAULTS.aggregation.groupIntervalMs),
    repeatIntervalMs: durationMs(agg?.repeatInterval, DEFAULTS.aggregation.repeatIntervalMs),
    resolveTimeoutMs: durationMs(agg?.resolveTimeout, DEFAULTS.aggregation.resolveTimeoutMs),
    sendResolved: agg?.sendResolved ?? DEFAULTS.aggregation.sendResolved,
  };
  if (!nm) {
    return {
      tenantKey: DEFAULTS.tenantKey,
      globalReceiverSelector: DEFAULTS.globalReceiverSelector,
      tenantReceiverSelector: DEFAULTS.tenantReceiverSelector,
      defaultConfigSelector: DEFAULTS.defaultConfigSelector,
      groupLabels: [...DEFAULTS.groupLabels],
      batchMaxSize: DEFAULTS.batchMaxSize,
      batchMaxWaitMs: DEFAULTS.batchMaxWaitMs,
      routePolicy: DEFAULTS.routePolicy,
      cluster: DEFAULTS.cluster,
      language: DEFAULTS.language,
      aggregation,
    };
  }
  const s = nm.spec;
  return {
    tenantKey: s.receivers?.tenantKey || DEFAULTS.tenantKey,
    globalReceiverSelector: s.receivers?.globalReceiverSelector,
    tenantReceiverSelector: s.receivers?.tenantReceiverSelector,
    defaultConfigSelector: s.defaultConfigSelector,
    defaultSecretNamespace: s.defaultSecretNamespace,
    groupLabels: s.groupLabels ? [...s.groupLabels] : [...DEFAULTS.groupLabels],
    batchMaxSize: s.batchMaxSize && s.batchMaxSize > 0 ? s.batchMaxSize : DEFAULTS.batchMaxSize,
    batchMaxWaitMs: durationMs(s.batchMaxWait, DEFAULTS.batchMaxWaitMs),
    routePolicy: s.routePolicy ?? DEFAULTS.routePolicy,
    cluster: s.receivers?.options?.global?.cluster || nm.metadata.annotations?.[CLUSTER_NAME_ANNOTATION] || DEFAULTS.cluster,
    timeZone: s.timeZone,
    language: s.template?.language || DEFAULTS.language,
    aggregation,
  };
}

/** `namespace/name` key of the snapshot's secret and configMap maps. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
