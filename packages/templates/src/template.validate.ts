import type { TemplateSpans } from 'mustache';
import { detectGoTemplate, lineAt } from './go-template.detect.js';
import { goTemplateMessage } from './errors.js';
import { lineColumn } from './go/exec.js';
import { checkGoText, goTemplatesOf } from './go/library.js';
import type { ParsedText } from './go/parser.js';
import { LruCache } from './lru.cache.js';
import { parseTemplate, partialNames } from './mustache.engine.js';
import { PROBLEM_CODES, type TemplateProblem } from './template.problem.js';

/** The outcome of checking one text on its own: its tokens or Go parse, or why it was rejected. */
export type TextCheck =
  | { readonly ok: true; readonly engine: 'mustache'; readonly tokens: TemplateSpans; readonly partials: ReadonlySet<string> }
  | { readonly ok: true; readonly engine: 'go'; readonly parsed: ParsedText; readonly partials: ReadonlySet<string> }
  | { readonly ok: false; readonly code: string; readonly line: number; readonly column?: number; readonly message: string };

const checkCache = new LruCache<TextCheck>(4096);

/**
 * Checks one template text. Text written in Go's template syntax (`{{ define`, `{{ range`,
 * `{{ .Field`, `{{-` …) is parsed as a Go template; anything else as mustache. Cached by content.
 */
export function checkText(text: string): TextCheck {
  const cached = checkCache.get(text);
  if (cached !== undefined) return cached;
  const result = check(text);
  checkCache.set(text, result);
  return result;
}

function check(text: string): TextCheck {
  if (detectGoTemplate(text) !== undefined) {
    const go = checkGoText(text);
    if (go.ok) return { ok: true, engine: 'go', parsed: go.parsed, partials: new Set(go.parsed.calls.keys()) };
    return { ok: false, code: PROBLEM_CODES.goTemplate, line: go.line, column: go.column, message: go.message };
  }
  try {
    const tokens = parseTemplate(text);
    return { ok: true, engine: 'mustache', tokens, partials: partialNames(tokens) };
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    const at = /\bat (\d+)$/.exec(raw);
    const pos = at?.[1] === undefined ? 0 : Number(at[1]);
    return { ok: false, code: PROBLEM_CODES.parse, line: lineAt(text, pos), message: describeParseError(raw, text, pos) };
  }
}

function describeParseError(raw: string, text: string, pos: number): string {
  const unclosedSection = /^Unclosed section "([^"]*)"/.exec(raw);
  if (unclosedSection) {
    const closing = /^\{\{\/\s*([^}\s]*)\s*\}\}/.exec(text.slice(pos));
    if (closing) return `{{/${closing[1]}}} does not close the open section {{#${unclosedSection[1]}}}`;
    return `section {{#${unclosedSection[1]}}} is never closed with {{/${unclosedSection[1]}}}`;
  }
  const unopened = /^Unopened section "([^"]*)"/.exec(raw);
  if (unopened) return `{{/${unopened[1]}}} closes a section that is not open`;
  if (raw.startsWith('Unclosed tag')) return 'a tag is opened with {{ but never closed with }}';
  return raw.replace(/ at \d+$/, '');
}

/** Turns a failed check into a problem naming source, key and line. */
export function problemFromCheck(source: string, key: string, result: Extract<TextCheck, { ok: false }>): TemplateProblem {
  const message =
    result.code === PROBLEM_CODES.goTemplate
      ? goTemplateMessage({ source, key }, result.line, result.column ?? 1, result.message)
      : `${source} key "${key}" line ${result.line}: ${result.message}`;
  return { severity: 'error', code: result.code, source, key, line: result.line, message };
}

export interface TemplateTextSource {
  /** `configmap <namespace>/<name>`. */
  readonly source: string;
  /** ConfigMap data: each key is a template name and its value the mustache text. */
  readonly data: Readonly<Record<string, string>>;
}

/**
 * Finds partial cycles (`a` includes `b` includes `a`), which would recurse without end.
 * `graph` maps a template name to the partials it includes.
 */
export function findCycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    for (const next of graph.get(name) ?? []) {
      const s = state.get(next);
      if (s === 'active') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (s === undefined && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of graph.keys()) if (!state.has(name)) visit(name);
  return cycles;
}

/**
 * Validates the templates of one ConfigMap. A key holds a mustache template (the key is its
 * name) or Go template text (its `{{ define }}`s are the names; text outside them is a template
 * named after the key). Keys that do not parse are errors naming the ConfigMap, key and line.
 * With `knownNames` (every other template it may use: built-ins, the global ConfigMap), includes
 * and `{{ template }}` calls of unknown names are warnings; mustache includes that form a cycle
 * are errors.
 */
export function validateTemplateText(
  input: TemplateTextSource,
  options: { knownNames?: Iterable<string>; includesOf?: (name: string) => ReadonlySet<string> | undefined } = {},
): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const graph = new Map<string, ReadonlySet<string>>();
  /** Go template name → the key that defines it (the last key, in key order, wins). */
  const goNames = new Map<string, string>();
  const goCalls: { key: string; name: string; offset: number }[] = [];
  for (const key of Object.keys(input.data).sort()) {
    const text = input.data[key] ?? '';
    if (key.trim() === '') {
      problems.push({ severity: 'error', code: PROBLEM_CODES.emptyName, source: input.source, key, message: `${input.source}: a template key is empty` });
      continue;
    }
    const result = checkText(text);
    if (!result.ok) {
      problems.push(problemFromCheck(input.source, key, result));
      continue;
    }
    if (result.engine === 'mustache') {
      graph.set(key, result.partials);
      continue;
    }
    const templates = goTemplatesOf(result.parsed, { source: input.source, key, text });
    if (!result.parsed.rootEmpty && result.parsed.defines.has(key)) {
      problems.push({
        severity: 'warning',
        code: PROBLEM_CODES.goTextIgnored,
        source: input.source,
        key,
        message: `${input.source} key "${key}": the text outside {{ define }} is not used, because the key also defines a template named "${key}"`,
      });
    }
    for (const name of templates.keys()) {
      const other = goNames.get(name);
      if (other !== undefined && other !== key) {
        problems.push({
          severity: 'warning',
          code: PROBLEM_CODES.duplicateTemplate,
          source: input.source,
          key,
          message: `${input.source} key "${key}": template "${name}" is also defined in key "${other}"; the definition in "${key}" is used`,
        });
      }
      goNames.set(name, key);
    }
    for (const [name, offset] of result.parsed.calls) goCalls.push({ key, name, offset });
  }
  for (const [name, key] of goNames) {
    if (graph.has(name) && key !== name) {
      problems.push({
        severity: 'warning',
        code: PROBLEM_CODES.duplicateTemplate,
        source: input.source,
        key: name,
        message: `${input.source} key "${name}": key "${key}" defines a Go template of the same name, which is used instead`,
      });
    }
  }
  if (options.knownNames !== undefined) {
    const known = new Set(options.knownNames);
    const defined = (n: string): boolean => known.has(n) || graph.has(n) || goNames.has(n);
    for (const [key, partials] of graph) {
      for (const p of partials) {
        if (!defined(p)) {
          problems.push({
            severity: 'warning',
            code: PROBLEM_CODES.unknownPartial,
            source: input.source,
            key,
            line: lineOfPartial(input.data[key] ?? '', p),
            message: `${input.source} key "${key}": {{> ${p}}} includes a template that does not exist (it renders as nothing)`,
          });
        }
      }
    }
    for (const call of goCalls) {
      if (defined(call.name)) continue;
      const { line, column } = lineColumn(input.data[call.key] ?? '', call.offset);
      problems.push({
        severity: 'warning',
        code: PROBLEM_CODES.unknownTemplate,
        source: input.source,
        key: call.key,
        line,
        message: `${input.source} key "${call.key}" line ${line} col ${column}: {{ template "${call.name}" }} invokes a template that is not defined (rendering it fails)`,
      });
    }
  }
  if (options.includesOf !== undefined) {
    for (const name of new Set([...graph.values()].flatMap((s) => [...s]))) {
      if (!graph.has(name)) {
        const inc = options.includesOf(name);
        if (inc !== undefined) graph.set(name, inc);
      }
    }
  }
  const reported = new Set<string>();
  for (const cycle of findCycles(graph)) {
    const key = cycle.find((n) => Object.hasOwn(input.data, n));
    if (key === undefined || reported.has(key)) continue;
    reported.add(key);
    problems.push({
      severity: 'error',
      code: PROBLEM_CODES.partialCycle,
      source: input.source,
      key,
      message: `${input.source} key "${key}": templates include each other in a cycle (${cycle.join(' > ')})`,
    });
  }
  return problems;
}

function lineOfPartial(text: string, name: string): number {
  const re = new RegExp(`\\{\\{>\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\}\\}`);
  const m = re.exec(text);
  return m === null ? 1 : lineAt(text, m.index);
}
