import { InvalidRegexError } from './errors.js';

/**
 * Go RE2 regexes run as JavaScript `RegExp`s, compiled once and cached.
 *
 * The common RE2 spellings JavaScript lacks are translated: leading inline flags such as `(?i)`
 * or `(?is)` become RegExp flags, `(?P<name>` becomes `(?<name>`, `\A` becomes `^` and `\z`
 * becomes `$`. A pattern is compiled in Unicode mode first (RE2 matches code points); when that
 * fails only because of Unicode mode's stricter escapes (`\-`, `\_` ...), it is compiled without
 * it. Backreferences and lookaround, which RE2 rejects, are accepted by JavaScript.
 */
const cache = new Map<string, RegExp | InvalidRegexError>();
const CACHE_LIMIT = 4096;

function translate(pattern: string): { source: string; flags: string } {
  let source = pattern;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(source);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'i' && !flags.includes('i')) flags += 'i';
      if (f === 's' && !flags.includes('s')) flags += 's';
      if (f === 'm' && !flags.includes('m')) flags += 'm';
      // U (ungreedy) has no JavaScript equivalent; it is ignored.
    }
    source = source.slice(lead[0].length);
  }
  source = source.replace(/\(\?P</g, '(?<').replace(/\\A/g, '^').replace(/\\z/g, '$');
  return { source, flags };
}

function build(pattern: string): RegExp | InvalidRegexError {
  const { source, flags } = translate(pattern);
  try {
    return new RegExp(source, flags + 'u');
  } catch (unicodeError) {
    try {
      return new RegExp(source, flags);
    } catch {
      return new InvalidRegexError(pattern, unicodeError);
    }
  }
}

/** The compiled regex, or an `InvalidRegexError` (returned, not thrown). Results are cached. */
export function tryCompileRegex(pattern: string): RegExp | InvalidRegexError {
  let hit = cache.get(pattern);
  if (hit === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    hit = build(pattern);
    cache.set(pattern, hit);
  }
  return hit;
}

/** @throws InvalidRegexError */
export function compileRegex(pattern: string): RegExp {
  const r = tryCompileRegex(pattern);
  if (r instanceof InvalidRegexError) throw r;
  return r;
}

/**
 * Unanchored match, as Go's `regexp.MatchString`: a match anywhere in `value` counts.
 * An invalid pattern matches nothing (validation reports it before it gets here).
 */
export function regexMatches(pattern: string, value: string): boolean {
  const r = tryCompileRegex(pattern);
  return r instanceof RegExp ? r.test(value) : false;
}
