import { GoTemplateError } from './errors.js';
import type { GoTemplate } from './go/exec.js';
import { goTemplatesOf } from './go/library.js';
import { PROBLEM_CODES } from './template.problem.js';
import { checkText } from './template.validate.js';

/**
 * What a template name stands for: a mustache text (a ConfigMap key or a built-in) or a Go
 * template (a `{{ define }}` of a ConfigMap written in Go syntax).
 */
export type ResolvedText =
  | { readonly engine: 'mustache'; readonly name: string; readonly text: string; readonly source: string }
  | { readonly engine: 'go'; readonly name: string; readonly template: GoTemplate; readonly source: string };

/** Looks names up: the receiver's ConfigMap first, then the global ConfigMaps, then the built-ins. */
export interface TextScope {
  resolve(name: string): ResolvedText | undefined;
}

/** The templates of one ConfigMap's data, both engines, as rendering needs them. */
export interface TextSet {
  readonly source: string;
  readonly mustache: ReadonlyMap<string, string>;
  readonly go: ReadonlyMap<string, GoTemplate>;
  /** The first Go key that does not parse: it fails every rendering that uses this set. */
  readonly broken?: GoTemplateError;
}

const sets = new WeakMap<object, Map<string, TextSet>>();

/**
 * Sorts a ConfigMap's keys into mustache templates and Go definitions (cached per data object and
 * source). Mustache keys that do not parse stay in, and fail when used, with their own error.
 */
export function textSetOf(data: Readonly<Record<string, string>>, source: string): TextSet {
  let perSource = sets.get(data);
  if (perSource === undefined) {
    perSource = new Map();
    sets.set(data, perSource);
  }
  let set = perSource.get(source);
  if (set === undefined) {
    set = buildSet(data, source);
    perSource.set(source, set);
  }
  return set;
}

function buildSet(data: Readonly<Record<string, string>>, source: string): TextSet {
  const mustache = new Map<string, string>();
  const go = new Map<string, GoTemplate>();
  let broken: GoTemplateError | undefined;
  for (const key of Object.keys(data).sort()) {
    const text = data[key] ?? '';
    const r = checkText(text);
    if (r.ok && r.engine === 'go') {
      for (const [name, t] of goTemplatesOf(r.parsed, { source, key, text })) go.set(name, t);
    } else if (!r.ok && r.code === PROBLEM_CODES.goTemplate) {
      broken ??= new GoTemplateError({ source, key }, r.line, r.column ?? 1, r.message);
    } else {
      mustache.set(key, text);
    }
  }
  return { source, mustache, go, ...(broken === undefined ? {} : { broken }) };
}

/** Looks a name up in one set: a Go definition wins over a mustache key of the same name. */
export function resolveInSet(set: TextSet, name: string): ResolvedText | undefined {
  const g = set.go.get(name);
  if (g !== undefined) return { engine: 'go', name, template: g, source: set.source };
  const m = set.mustache.get(name);
  if (m !== undefined) return { engine: 'mustache', name, text: m, source: set.source };
  return undefined;
}

/** A scope of a receiver's texts over a fallback (the registry). */
export function receiverScope(fallback: TextScope, data: Readonly<Record<string, string>> | undefined, source: string | undefined): TextScope {
  if (data === undefined) return fallback;
  const set = textSetOf(data, source ?? 'receiver tmplText');
  return {
    resolve(name: string): ResolvedText | undefined {
      if (set.broken !== undefined) throw set.broken;
      return resolveInSet(set, name) ?? fallback.resolve(name);
    },
  };
}
