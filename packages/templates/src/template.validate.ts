import type { TemplateSpans } from 'mustache';
import { detectGoTemplate, lineAt } from './go-template.detect.js';
import { goTemplateMessage } from './errors.js';
import { LruCache } from './lru.cache.js';
import { parseTemplate, partialNames } from './mustache.engine.js';
import { PROBLEM_CODES, type TemplateProblem } from './template.problem.js';

/** The outcome of checking one text on its own: its tokens, or why it was rejected. */
export type TextCheck =
  | { readonly ok: true; readonly tokens: TemplateSpans; readonly partials: ReadonlySet<string> }
  | { readonly ok: false; readonly code: string; readonly line: number; readonly message: string };

const checkCache = new LruCache<TextCheck>(4096);

/** Checks one mustache text (Go-template detection, then parsing). Cached by content. */
export function checkText(text: string): TextCheck {
  const cached = checkCache.get(text);
  if (cached !== undefined) return cached;
  const result = check(text);
  checkCache.set(text, result);
  return result;
}

function check(text: string): TextCheck {
  const go = detectGoTemplate(text);
  if (go !== undefined) {
    return { ok: false, code: PROBLEM_CODES.goTemplate, line: go.line, message: go.construct };
  }
  try {
    const tokens = parseTemplate(text);
    return { ok: true, tokens, partials: partialNames(tokens) };
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
      ? goTemplateMessage({ source, key }, result.line, result.message)
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
 * Validates the templates of one ConfigMap: every key must be a mustache text (not a Go template)
 * that parses. With `knownNames` (every other template it may include: built-ins, the global
 * ConfigMap), includes of unknown templates are reported as warnings; includes that form a
 * cycle are errors.
 */
export function validateTemplateText(
  input: TemplateTextSource,
  options: { knownNames?: Iterable<string>; includesOf?: (name: string) => ReadonlySet<string> | undefined } = {},
): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const graph = new Map<string, ReadonlySet<string>>();
  for (const [key, text] of Object.entries(input.data)) {
    if (key.trim() === '') {
      problems.push({ severity: 'error', code: PROBLEM_CODES.emptyName, source: input.source, key, message: `${input.source}: a template key is empty` });
      continue;
    }
    const result = checkText(text);
    if (!result.ok) {
      problems.push(problemFromCheck(input.source, key, result));
      continue;
    }
    graph.set(key, result.partials);
  }
  if (options.knownNames !== undefined) {
    const known = new Set(options.knownNames);
    for (const [key, partials] of graph) {
      for (const p of partials) {
        if (!known.has(p) && !graph.has(p)) {
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
