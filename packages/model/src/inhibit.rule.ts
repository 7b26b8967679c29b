import type { InhibitRule } from './crd/inhibit-rule.schema.js';
import { fingerprint } from './fingerprint.js';
import { labelValue, setLabel } from './labels.js';
import { isEnabled } from './sections.js';
import { matchesSelector, type Labels } from './selector.js';

/** What inhibition reads of an alert. A `status` of `resolved` never inhibits. */
export interface InhibitionAlert {
  labels: Labels;
  status?: string | undefined;
}

const sideMatches = (selector: InhibitRule['spec']['sourceSelector'] | undefined | null, labels: Labels): boolean =>
  selector !== undefined && selector !== null && matchesSelector(selector, labels);

/**
 * Key of the `equal` labels of an alert (missing = empty value): two alerts share it iff they agree
 * on every `equal` label. It is the FNV-1a fingerprint of that label subset.
 */
export function equalKey(labels: Labels, equal: readonly string[] | undefined): string {
  const subset: Record<string, string> = {};
  for (const name of equal ?? []) setLabel(subset, name, labelValue(labels, name) ?? '');
  return fingerprint(subset);
}

/**
 * Names of the rules that inhibit `target` (Alertmanager semantics, reference alertmanager.md §6):
 * a rule inhibits when it is enabled, `target` matches its `targetSelector`, and some **firing**
 * source matches its `sourceSelector` and has the same value for every `equal` label (missing =
 * empty). An alert matching both sides of a rule cannot be inhibited by that rule through a source
 * that also matches both sides (itself included). A rule without a selector matches nothing.
 */
export function inhibitedBy(target: InhibitionAlert, rules: readonly InhibitRule[], firingSources: readonly InhibitionAlert[]): string[] {
  const out: string[] = [];
  for (const rule of rules) {
    if (!isEnabled(rule.spec) || !sideMatches(rule.spec.targetSelector, target.labels)) continue;
    const targetIsSource = sideMatches(rule.spec.sourceSelector, target.labels);
    const key = equalKey(target.labels, rule.spec.equal);
    const inhibits = firingSources.some(
      (s) =>
        s.status !== 'resolved' &&
        sideMatches(rule.spec.sourceSelector, s.labels) &&
        !(targetIsSource && sideMatches(rule.spec.targetSelector, s.labels)) &&
        equalKey(s.labels, rule.spec.equal) === key,
    );
    if (inhibits) out.push(rule.metadata.name);
  }
  return out;
}

export interface RuleKey {
  /** InhibitRule name. */
  rule: string;
  /** {@link equalKey} of the alert for that rule. */
  key: string;
  /** Whether the alert also matches the rule's other side (needed for the self-inhibition exclusion). */
  bothSides: boolean;
}

/**
 * For each enabled rule whose `sourceSelector` matches `alert`: where to store it as a firing
 * source, `(rule, key)`. A silencer keeps firing sources in a shared store under these keys.
 */
export function sourceKeys(alert: InhibitionAlert, rules: readonly InhibitRule[]): RuleKey[] {
  return rules
    .filter((r) => isEnabled(r.spec) && sideMatches(r.spec.sourceSelector, alert.labels))
    .map((r) => ({ rule: r.metadata.name, key: equalKey(alert.labels, r.spec.equal), bothSides: sideMatches(r.spec.targetSelector, alert.labels) }));
}

/**
 * For each enabled rule whose `targetSelector` matches `alert`: the `(rule, key)` under which to
 * look for firing sources. When `bothSides` is true, only stored sources that do not themselves
 * match both sides may inhibit it.
 */
export function targetKeys(alert: InhibitionAlert, rules: readonly InhibitRule[]): RuleKey[] {
  return rules
    .filter((r) => isEnabled(r.spec) && sideMatches(r.spec.targetSelector, alert.labels))
    .map((r) => ({ rule: r.metadata.name, key: equalKey(alert.labels, r.spec.equal), bothSides: sideMatches(r.spec.sourceSelector, alert.labels) }));
}
