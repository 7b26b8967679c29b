import type { Labels } from './selector.js';
import { labelValue, setLabel } from './labels.js';

export interface AlertGroup<A> {
  /** Stable identity of the group: its (non-empty) group labels, sorted, as JSON. */
  key: string;
  /** The group label values; labels missing (or empty) on the alerts are left out. */
  labels: Record<string, string>;
  alerts: A[];
}

/**
 * Groups alerts by the values of `groupLabels` (reference §2.6): a missing label counts as the
 * empty string and empty values are removed from the group's labels; with no group labels
 * (`undefined`, `null` or `[]`) all alerts form one group. Groups keep first-appearance order and
 * alerts keep input order.
 */
export function groupAlerts<A extends { labels: Labels }>(alerts: readonly A[], groupLabels: readonly string[] | undefined | null): Array<AlertGroup<A>> {
  const names = [...new Set(groupLabels ?? [])].sort();
  const groups = new Map<string, AlertGroup<A>>();
  for (const alert of alerts) {
    const labels: Record<string, string> = {};
    for (const n of names) {
      const v = labelValue(alert.labels, n);
      if (v !== undefined && v !== '') setLabel(labels, n, v);
    }
    const key = JSON.stringify(Object.entries(labels));
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { key, labels, alerts: [] }));
    group.alerts.push(alert);
  }
  return [...groups.values()];
}

function common(maps: ReadonlyArray<Readonly<Record<string, string>> | undefined>): Record<string, string> {
  const first = maps[0];
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) {
    if (v === '') continue;
    if (maps.every((m) => m !== undefined && Object.prototype.hasOwnProperty.call(m, k) && m[k] === v)) out[k] = v;
  }
  return out;
}

/** Labels with the same value in every alert (empty values removed). */
export function commonLabels(alerts: ReadonlyArray<{ labels: Labels }>): Record<string, string> {
  return common(alerts.map((a) => a.labels));
}

/** Annotations with the same value in every alert (empty values removed). */
export function commonAnnotations(alerts: ReadonlyArray<{ annotations?: Labels | undefined }>): Record<string, string> {
  return common(alerts.map((a) => a.annotations ?? {}));
}
