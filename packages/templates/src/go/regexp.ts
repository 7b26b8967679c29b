import { RE2JS } from 're2js';

/**
 * Go's `regexp` for the template functions `match` and `reReplaceAll`, on the RE2 engine
 * (`re2js`, as `@nm/model` uses for routing): user patterns never run on JavaScript's
 * backtracking RegExp, so matching takes time linear in the input. `replaceAll` follows
 * `Regexp.ReplaceAllString`: `$1`, `${1}`, `$name`, `${name}` and `$$` in the replacement, and an
 * empty match right after a previous match is not replaced.
 */

const cache = new Map<string, RE2JS>();
const CACHE_LIMIT = 1024;

/** @throws Error with Go's message for a pattern that does not compile. */
export function compileGoRegexp(pattern: string): RE2JS {
  let re = cache.get(pattern);
  if (re !== undefined) return re;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    throw new Error(`regexp: Compile(${JSON.stringify(pattern)}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(pattern, re);
  return re;
}

/** Unanchored match, as `regexp.MatchString`. */
export function regexpMatch(pattern: string, text: string): boolean {
  return compileGoRegexp(pattern).matcher(text).find();
}

/** Expands `$…` references of a replacement template for one match (Go's `Regexp.Expand`). */
function expand(template: string, groups: (name: string | number) => string | null, groupCount: number, named: Record<string, number>): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, d);
    i = d + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    if (template[i] === '{') {
      const close = template.indexOf('}', i + 1);
      const inner = close < 0 ? '' : template.slice(i + 1, close);
      if (close >= 0 && /^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        i = close + 1;
      }
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i));
      if (m !== null) {
        name = m[0];
        i += name.length;
      }
    }
    if (name === undefined) {
      // Malformed: the $ is literal text.
      out += '$';
      continue;
    }
    if (/^[0-9]+$/.test(name)) {
      const n = Number(name);
      if (n <= groupCount) out += groups(n) ?? '';
    } else if (Object.hasOwn(named, name)) {
      out += groups(name) ?? '';
    }
  }
  return out;
}

/** `regexp.MustCompile(pattern).ReplaceAllString(text, repl)`; `maxLength` bounds the result. */
export function regexpReplaceAll(pattern: string, repl: string, text: string, maxLength: number): string {
  const re = compileGoRegexp(pattern);
  const m = re.matcher(text);
  const named = re.namedGroups();
  const groupCount = re.groupCount();
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= text.length) {
    if (!m.find(searchPos)) break;
    const start = m.start();
    const end = m.end();
    out += text.slice(lastMatchEnd, start);
    // No replacement for an empty match right after the previous match.
    if (end > lastMatchEnd || start === 0) out += expand(repl, (g) => m.group(g), groupCount, named);
    if (out.length > maxLength) throw new Error(`the result is longer than ${maxLength} characters`);
    lastMatchEnd = end;
    const cp = text.codePointAt(searchPos);
    const width = cp === undefined ? 1 : cp > 0xffff ? 2 : 1;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  out += text.slice(lastMatchEnd);
  if (out.length > maxLength) throw new Error(`the result is longer than ${maxLength} characters`);
  return out;
}
