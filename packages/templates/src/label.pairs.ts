/** Label names hidden from label lists, as notification-manager's `SortedPairs` hides them. */
export const HIDDEN_LABELS: readonly string[] = ['rule_id'];

/**
 * Annotation names hidden from annotation lists: the message sources (shown as the message line)
 * and the runbook link, as notification-manager's templates filter them.
 */
export const HIDDEN_ANNOTATIONS: readonly string[] = ['runbook_url', 'message', 'summary', 'summary_cn', 'summaryCn'];

/** One entry of an ordered label or annotation list. */
export interface LabelPair {
  readonly name: string;
  /** The name translated into the receiver's language. */
  readonly displayName: string;
  readonly value: string;
  /** Position flags, for separators in JSON and lists: `{{^first}},{{/first}}`. */
  readonly first: boolean;
  readonly last: boolean;
}

/**
 * An ordered list of a label map: `alertname` first, then the other names sorted (by UTF-16
 * code units, as Go sorts strings), without the `hidden` names.
 */
export function sortedPairs(
  kv: Readonly<Record<string, string>>,
  hidden: readonly string[],
  display: (name: string) => string,
): LabelPair[] {
  const names = Object.keys(kv).filter((k) => !hidden.includes(k));
  names.sort((a, b) => (a === 'alertname' ? -1 : b === 'alertname' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const last = names.length - 1;
  return names.map((name, i) => ({ name, displayName: display(name), value: kv[name] ?? '', first: i === 0, last: i === last }));
}

/** The name/value pairs every map shares with the same value; empty values are dropped. */
export function commonPairs(maps: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const [head, ...rest] = maps;
  if (head === undefined) return out;
  for (const [k, v] of Object.entries(head)) {
    if (v === '') continue;
    if (rest.every((m) => Object.hasOwn(m, k) && m[k] === v)) out[k] = v;
  }
  return out;
}

/** A copy without prototype, so template lookups never reach `constructor` or `toString`. */
export function plainMap(kv: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (kv === undefined) return out;
  for (const k of Object.keys(kv)) out[k] = String(kv[k]);
  return out;
}
