import { RE2JS } from 're2js';
import { InvalidRegexError } from './errors.js';

/**
 * User regexes (`Match`'s `regexValue`, a Router's `regexName`) are Go RE2 regexes, and they run on
 * an RE2 engine (`re2js`): Go's syntax is accepted and rejected as Go's `regexp.Compile` does
 * (Perl flags: `(?i)`, `(?P<name>…)`, `\A`, `\z`, `[[:alpha:]]`, `\pL`, `\Q…\E` …; no lookaround,
 * backreferences or possessive quantifiers), and matching takes time linear in the input, so no
 * pattern can stall a service however it is written.
 */
export interface CompiledRegex {
  /** The pattern as written. */
  readonly source: string;
  /** Unanchored match, as Go's `regexp.MatchString`: a match anywhere in `value` counts. */
  test(value: string): boolean;
}

/** Compiled patterns and compile errors, least recently used first. */
const cache = new Map<string, CompiledRegex | InvalidRegexError>();
const CACHE_LIMIT = 4096;

/** A hint for the Perl/JavaScript features RE2 leaves out, whose parse errors do not name them. */
function hint(message: string): string {
  if (/`\(\?[=!]/.test(message)) return ' (RE2 has no lookahead)';
  if (/`\(\?<[=!]/.test(message)) return ' (RE2 has no lookbehind)';
  if (/invalid escape sequence: `\\[1-9]/.test(message)) return ' (RE2 has no backreferences)';
  if (/invalid nested repetition operator: `[^`]*\+`/.test(message)) return ' (RE2 has no possessive quantifiers)';
  return '';
}

function build(pattern: string): CompiledRegex | InvalidRegexError {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return new InvalidRegexError(pattern, new Error(message + hint(message), { cause: e }));
  }
  return Object.freeze({ source: pattern, test: (value: string): boolean => re.test(value) });
}

/** The compiled regex, or an `InvalidRegexError` (returned, not thrown). Results are cached (LRU, bounded). */
export function tryCompileRegex(pattern: string): CompiledRegex | InvalidRegexError {
  let hit = cache.get(pattern);
  if (hit === undefined) {
    hit = build(pattern);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  } else {
    cache.delete(pattern);
  }
  cache.set(pattern, hit);
  return hit;
}

/** @throws InvalidRegexError */
export function compileRegex(pattern: string): CompiledRegex {
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
  return r instanceof InvalidRegexError ? false : r.test(value);
}

/** How many compiled patterns (and compile errors) the cache holds; for tests. */
export function regexCacheSize(): number {
  return cache.size;
}
