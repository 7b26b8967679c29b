import type { LabelSelector } from './crd/common.schema.js';
import { InvalidRegexError } from './errors.js';
import { tryCompileRegex, regexMatches } from './regex.js';
import type { Problem } from './problem.js';

export type Labels = Readonly<Record<string, string>>;

const has = (labels: Labels, key: string): boolean => Object.prototype.hasOwnProperty.call(labels, key);

/**
 * notification-manager's label selector semantics (reference §1.2):
 * - an absent (`undefined`/`null`) selector matches everything, and so does an empty one;
 * - every `matchLabels` pair and every `matchExpressions` requirement must hold (AND);
 * - `matchLabels` pairs need the label present with exactly that value;
 * - `In` needs the label present with one of `values`; `NotIn` holds when the label is absent
 *   or its value is not in `values`; `Exists` / `DoesNotExist` test presence (Kubernetes);
 * - `Match` tests `regexValue` **unanchored** against the value, a missing label being the
 *   empty string (so `^$` matches alerts without the label).
 * An invalid `Match` regex matches nothing.
 */
export function matchesSelector(selector: LabelSelector | undefined | null, labels: Labels): boolean {
  if (selector === undefined || selector === null) return true;
  if (selector.matchLabels) {
    for (const [k, v] of Object.entries(selector.matchLabels)) {
      if (!has(labels, k) || labels[k] !== v) return false;
    }
  }
  for (const req of selector.matchExpressions ?? []) {
    const present = has(labels, req.key);
    const value = present ? labels[req.key]! : '';
    switch (req.operator) {
      case 'In':
        if (!present || !(req.values ?? []).includes(value)) return false;
        break;
      case 'NotIn':
        if (present && (req.values ?? []).includes(value)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      case 'Match':
        if (!regexMatches(req.regexValue ?? '', value)) return false;
        break;
      default:
        // An operator the schema does not know never matches.
        return false;
    }
  }
  return true;
}

/** True when every `matchLabels` pair of a non-empty map is present in `labels`. Empty or absent → false. */
export function hasAllPairs(matchLabels: Readonly<Record<string, string>> | undefined, labels: Labels): boolean {
  const pairs = Object.entries(matchLabels ?? {});
  if (pairs.length === 0) return false;
  return pairs.every(([k, v]) => has(labels, k) && labels[k] === v);
}

/**
 * What is wrong with a selector, for validation: regexes that do not compile (errors), `In`/`NotIn`
 * without values and `Exists`/`DoesNotExist` with values (errors, as Kubernetes rejects them),
 * `Match` without `regexValue` (warning: it matches everything). `path` is the selector's dotted path.
 */
export function selectorProblems(selector: LabelSelector | undefined | null, path: string): Array<Omit<Problem, 'kind' | 'name'>> {
  const out: Array<Omit<Problem, 'kind' | 'name'>> = [];
  if (!selector) return out;
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const n = req.values?.length ?? 0;
    if (req.key === '') out.push({ severity: 'error', field: `${p}.key`, message: 'key must not be empty' });
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (n === 0) out.push({ severity: 'error', field: `${p}.values`, message: `operator ${req.operator} needs at least one value` });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (n > 0) out.push({ severity: 'error', field: `${p}.values`, message: `operator ${req.operator} takes no values` });
        break;
      case 'Match': {
        if (req.regexValue === undefined || req.regexValue === '') {
          out.push({ severity: 'warning', field: `${p}.regexValue`, message: 'operator Match without regexValue matches every value' });
          break;
        }
        const r = tryCompileRegex(req.regexValue);
        if (r instanceof InvalidRegexError) out.push({ severity: 'error', field: `${p}.regexValue`, message: r.message });
        break;
      }
    }
  });
  return out;
}
