import { GO_TEMPLATES_GUIDE } from '../errors.js';
import { lineColumn, type GoTemplate, type TextOrigin } from './exec.js';
import { FUNCTION_NAMES } from './funcs.js';
import { GoParseError, parseGoTemplate, type ParsedText } from './parser.js';

/**
 * Go template texts as ConfigMap keys hold them. One key may define many templates
 * (`{{ define "nm.default.text" }}…{{ end }}`, notification-manager's layout); text outside the
 * definitions, when there is any, is also a template named after the key.
 */

export type GoTextCheck =
  | { readonly ok: true; readonly parsed: ParsedText }
  | { readonly ok: false; readonly line: number; readonly column: number; readonly message: string };

/** Parses a Go template text (no caching; see `checkText`). */
export function checkGoText(text: string): GoTextCheck {
  try {
    return { ok: true, parsed: parseGoTemplate(text, '', (name) => FUNCTION_NAMES.has(name)) };
  } catch (err) {
    if (!(err instanceof GoParseError)) throw err;
    const { line, column } = lineColumn(text, err.pos);
    const hint = /^function ".*" not defined$/.test(err.message) ? ` (the functions are notification-manager's and Go's built-ins, see ${GO_TEMPLATES_GUIDE})` : '';
    return { ok: false, line, column, message: `${err.message}${hint}` };
  }
}

const byParse = new WeakMap<ParsedText, Map<string, ReadonlyMap<string, GoTemplate>>>();

/**
 * The templates a parsed key provides, tied to their origin (for error positions): each
 * definition, and the key's own body under the key's name when it has one and no definition
 * uses that name. Cached per parse and origin.
 */
export function goTemplatesOf(parsed: ParsedText, origin: TextOrigin): ReadonlyMap<string, GoTemplate> {
  let perOrigin = byParse.get(parsed);
  if (perOrigin === undefined) {
    perOrigin = new Map();
    byParse.set(parsed, perOrigin);
  }
  const id = `${origin.source}\u0000${origin.key}`;
  let templates = perOrigin.get(id);
  if (templates === undefined) {
    const m = new Map<string, GoTemplate>();
    for (const [name, tree] of parsed.defines) m.set(name, { name, tree, origin });
    if (!parsed.rootEmpty && !m.has(origin.key)) m.set(origin.key, { name: origin.key, tree: { name: origin.key, root: parsed.root.root }, origin });
    templates = m;
    if (perOrigin.size >= 64) perOrigin.delete(perOrigin.keys().next().value!);
    perOrigin.set(id, templates);
  }
  return templates;
}
