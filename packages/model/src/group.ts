import type { Labels } from './selector.js';
import { labelValue, setLabel } from './labels.js';

export interface AlertGroup<A> {
  /** Stable identity of the group: its (non-empty) group labels, sorted, as JSON. */
  readonly key: string;
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
  const names = sortedNames(groupLabels);
  if (alerts.length === 1) return [groupOf(alerts[0]!, names)];
  // Per alert only a cheap, unambiguous key of its values (each length-prefixed; missing and empty
  // alike); a group's labels and its JSON key are built once, when the group is.
  const groups = new Map<string, AlertGroup<A>>();
  for (const alert of alerts) {
    let values = '';
    for (const n of names) {
      const v = labelValue(alert.labels, n) ?? '';
      values += `${v.length}:${v}`;
    }
    const group = groups.get(values);
    if (group) group.alerts.push(alert);
    else groups.set(values, groupOf(alert, names));
  }
  return [...groups.values()];
}

/** A new group of `alert`: its labels of `names` (missing and empty left out), its key. */
function groupOf<A extends { labels: Labels }>(alert: A, names: readonly string[]): AlertGroup<A> {
  const labels: Record<string, string> = {};
  for (const n of names) {
    const v = labelValue(alert.labels, n);
    if (v !== undefined && v !== '') setLabel(labels, n, v);
  }
  return new Group(labels, [alert]);
}

/** A group; its `key` is serialised when read (the aggregators key their groups otherwise). */
class Group<A> implements AlertGroup<A> {
  constructor(
    readonly labels: Record<string, string>,
    readonly alerts: A[],
  ) {}

  get key(): string {
    return JSON.stringify(Object.entries(this.labels));
  }
}

/** The distinct group label names, sorted; the last list's are reused (callers pass the same settings again and again). */
let last: { source: readonly string[]; names: readonly string[] } = { source: [], names: [] };
function sortedNames(groupLabels: readonly string[] | undefined | null): readonly string[] {
  const source = groupLabels ?? [];
  if (source.length === last.source.length && source.every((n, i) => n === last.source[i])) return last.names;
  last = { source: [...source], names: [...new Set(source)].sort() };
  return last.names;
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
