import { BUILTIN_TEMPLATES, builtinTemplate, isJsonMarker, JSON_MARKERS } from './builtin.templates.js';
import type { GoTemplate } from './go/exec.js';
import { goTemplatesOf } from './go/library.js';
import { buildLanguages, ENGLISH, type Language, type LanguagePackSource, type LanguageSet } from './language.packs.js';
import { PROBLEM_CODES, type TemplateProblem } from './template.problem.js';
import type { ResolvedText, TextScope } from './template.scope.js';
import { checkText, findCycles, validateTemplateText, type TemplateTextSource } from './template.validate.js';
import { DEFAULT_TIME_ZONE, isValidTimeZone } from './time.format.js';

export interface TemplateRegistryOptions {
  /** The global template ConfigMap(s) (`spec.template.text`); later sources win on equal keys. */
  readonly globalTexts?: readonly TemplateTextSource[];
  /** Language-pack ConfigMaps (`spec.template.languagePack`). */
  readonly languagePacks?: readonly LanguagePackSource[];
  /** `spec.template.language`; `English` when absent. */
  readonly defaultLanguage?: string;
  /** IANA time zone for the times shown in templates; `UTC` when absent. */
  readonly timeZone?: string;
}

/** A global mustache template that passed validation. */
interface GlobalTemplate {
  readonly text: string;
  readonly source: string;
}

/**
 * The templates and languages of one configuration revision. Immutable: build a new one when a
 * ConfigMap changes (cheap: parsed templates and packs are cached by content).
 */
export interface TemplateRegistry extends TextScope {
  readonly defaultLanguage: string;
  readonly timeZone: string;
  /** True for a built-in name, a JSON marker or a valid global template (mustache key or Go definition). */
  has(name: string): boolean;
  /**
   * What a name resolves to without receiver overrides: a global Go definition, else a global
   * mustache key, else a built-in.
   */
  resolve(name: string): ResolvedText | undefined;
  /** The mustache text a name resolves to without receiver overrides (undefined when it is a Go template). */
  text(name: string): string | undefined;
  /** Every name that `has` accepts. */
  names(): string[];
  language(name: string): Language;
  languages(): string[];
  /** Names of the partials a known template includes (for cycle checks of receiver texts). */
  includesOf(name: string): ReadonlySet<string> | undefined;
}

class Registry implements TemplateRegistry {
  constructor(
    readonly defaultLanguage: string,
    readonly timeZone: string,
    private readonly globals: ReadonlyMap<string, GlobalTemplate>,
    private readonly goGlobals: ReadonlyMap<string, GoTemplate>,
    private readonly langs: LanguageSet,
  ) {}

  has(name: string): boolean {
    return this.goGlobals.has(name) || this.globals.has(name) || builtinTemplate(name) !== undefined || isJsonMarker(name);
  }

  resolve(name: string): ResolvedText | undefined {
    const go = this.goGlobals.get(name);
    if (go !== undefined) return { engine: 'go', name, template: go, source: go.origin.source };
    const g = this.globals.get(name);
    if (g !== undefined) return { engine: 'mustache', name, text: g.text, source: g.source };
    const b = builtinTemplate(name);
    if (b !== undefined) return { engine: 'mustache', name, text: b, source: 'built-in' };
    return undefined;
  }

  text(name: string): string | undefined {
    const r = this.resolve(name);
    return r?.engine === 'mustache' ? r.text : undefined;
  }

  names(): string[] {
    return [...new Set([...Object.keys(BUILTIN_TEMPLATES), ...JSON_MARKERS, ...this.globals.keys(), ...this.goGlobals.keys()])].sort();
  }

  language(name: string): Language {
    return this.langs.get(name);
  }

  languages(): string[] {
    return this.langs.names();
  }

  includesOf(name: string): ReadonlySet<string> | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    const r = checkText(text);
    return r.ok && r.engine === 'mustache' ? r.partials : undefined;
  }
}

/**
 * Builds the registry of one configuration revision and reports every problem of its ConfigMaps.
 * Keys in Go template syntax contribute their `{{ define }}`s (a later ConfigMap wins on equal
 * names); other keys are mustache templates named by the key. A key that does not parse is left
 * out (and reported); everything else stays usable.
 */
export function createTemplateRegistry(options: TemplateRegistryOptions = {}): { registry: TemplateRegistry; problems: TemplateProblem[] } {
  const problems: TemplateProblem[] = [];
  const globals = new Map<string, GlobalTemplate>();
  const goGlobals = new Map<string, GoTemplate>();
  const builtinNames = [...Object.keys(BUILTIN_TEMPLATES), ...JSON_MARKERS];
  const allKeys = (options.globalTexts ?? []).flatMap((s) => Object.keys(s.data));
  const allGoNames = (options.globalTexts ?? []).flatMap((s) =>
    Object.entries(s.data).flatMap(([key, text]) => {
      const r = checkText(text);
      return r.ok && r.engine === 'go' ? [...goTemplatesOf(r.parsed, { source: s.source, key, text }).keys()] : [];
    }),
  );

  for (const source of options.globalTexts ?? []) {
    const found = validateTemplateText(source, { knownNames: [...builtinNames, ...allKeys, ...allGoNames] });
    // An include of a name no global ConfigMap defines may still be defined by receivers' tmplText.
    // Cycles are checked below across every ConfigMap and the built-ins at once.
    const own = found.filter((p) => p.code !== PROBLEM_CODES.partialCycle);
    problems.push(...own);
    const rejected = new Set(own.filter((p) => p.severity === 'error' && p.key !== undefined).map((p) => p.key));
    for (const key of Object.keys(source.data).sort()) {
      const text = source.data[key] ?? '';
      if (rejected.has(key) || key.trim() === '') continue;
      const r = checkText(text);
      if (r.ok && r.engine === 'go') {
        for (const [name, t] of goTemplatesOf(r.parsed, { source: source.source, key, text })) goGlobals.set(name, t);
      } else {
        globals.set(key, { text, source: source.source });
      }
    }
  }
  // A Go definition wins over a mustache key of the same name.
  for (const name of goGlobals.keys()) globals.delete(name);

  // Cycles across the global templates and the built-ins they override.
  const graph = new Map<string, ReadonlySet<string>>();
  for (const name of new Set([...Object.keys(BUILTIN_TEMPLATES), ...globals.keys()])) {
    const text = globals.get(name)?.text ?? builtinTemplate(name);
    const r = text === undefined || goGlobals.has(name) ? undefined : checkText(text);
    if (r?.ok && r.engine === 'mustache') graph.set(name, r.partials);
  }
  const inCycle = new Set<string>();
  for (const cycle of findCycles(graph)) {
    for (const name of cycle) {
      const g = globals.get(name);
      if (g === undefined || inCycle.has(name)) continue;
      inCycle.add(name);
      problems.push({
        severity: 'error',
        code: PROBLEM_CODES.partialCycle,
        source: g.source,
        key: name,
        message: `${g.source} key "${name}": templates include each other in a cycle (${cycle.join(' > ')})`,
      });
    }
  }
  for (const name of inCycle) globals.delete(name);

  const { languages, problems: langProblems } = buildLanguages(options.languagePacks ?? []);
  problems.push(...langProblems);

  const defaultLanguage = options.defaultLanguage?.trim() || ENGLISH;
  if (!languages.has(defaultLanguage)) {
    problems.push({
      severity: 'warning',
      code: PROBLEM_CODES.unknownLanguage,
      source: 'spec.template.language',
      message: `language "${defaultLanguage}" has no dictionary (known: ${languages.names().join(', ')}); words stay untranslated`,
    });
  }

  let timeZone = options.timeZone?.trim() || DEFAULT_TIME_ZONE;
  if (!isValidTimeZone(timeZone)) {
    problems.push({
      severity: 'error',
      code: PROBLEM_CODES.timeZone,
      source: 'time zone',
      message: `"${timeZone}" is not an IANA time zone; using ${DEFAULT_TIME_ZONE}`,
    });
    timeZone = DEFAULT_TIME_ZONE;
  }

  return { registry: new Registry(defaultLanguage, timeZone, globals, goGlobals, languages), problems };
}

/**
 * Validates a receiver's `tmplText` ConfigMap against a registry: keys that do not parse (mustache
 * or Go) are errors, includes and `{{ template }}` calls of unknown templates warnings, mustache
 * include cycles errors.
 */
export function validateReceiverTexts(registry: TemplateRegistry, input: TemplateTextSource): TemplateProblem[] {
  return validateTemplateText(input, { knownNames: registry.names(), includesOf: (n) => registry.includesOf(n) });
}
