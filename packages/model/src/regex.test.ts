import { describe, expect, it } from '@jest/globals';
import { InvalidRegexError } from './errors.js';
import { compileRegex, regexCacheSize, regexMatches, tryCompileRegex } from './regex.js';

describe('Go RE2 syntax: accepted as Go regexp.Compile accepts it', () => {
  it.each<[string, string, string, boolean]>([
    // [what, pattern, value, matches]
    ['(?i) flag', '(?i)^crash$', 'CRASH', true],
    ['(?i) scoped group', '^(?i:crash)Loop$', 'CRASHLoop', true],
    ['(?i) scoped group ends', '^(?i:crash)Loop$', 'CRASHLOOP', false],
    ['(?s) dot matches newline', '(?s)^a.b$', 'a\nb', true],
    ['dot does not match newline by default', '^a.b$', 'a\nb', false],
    ['(?m) multi-line anchors', '(?m)^b$', 'a\nb\nc', true],
    ['without (?m) ^ and $ anchor the text', '^b$', 'a\nb\nc', false],
    ['(?U) ungreedy is accepted', '(?U)^a+$', 'aaa', true],
    ['(?P<name>…) named group', '^(?P<app>[a-z]+)-[0-9]+$', 'web-12', true],
    ['(?<name>…) named group (Go 1.22+)', '^(?<app>[a-z]+)-[0-9]+$', 'web-12', true],
    ['\\A and \\z', '\\Aweb\\z', 'web', true],
    ['\\z is the very end', '\\Aweb\\z', 'web\n', false],
    ['[[:alpha:]] POSIX class', '^[[:alpha:]]+$', 'Pod', true],
    ['[[:^digit:]] negated POSIX class', '^[[:^digit:]]+$', 'a1', false],
    ['\\pL Unicode class', '^\\pL+$', 'größe', true],
    ['\\p{Greek} Unicode script', '^\\p{Greek}+$', 'αβγ', true],
    ['\\PL negated Unicode class', '^\\PL+$', '123', true],
    ['\\w is ASCII-only in RE2', '^\\w+$', 'é', false],
    ['\\d is ASCII-only in RE2', '^\\d$', '٣', false],
    ['\\Q…\\E literal', '^\\Qa.b\\E$', 'a.b', true],
    ['\\Q…\\E literal dot', '^\\Qa.b\\E$', 'axb', false],
    ['\\x{…} code point', '^\\x{1F600}$', '😀', true],
    ['dot matches one code point, not one UTF-16 unit', '^.$', '😀', true],
    ['escaped punctuation \\- and \\_', '^a\\-b\\_c$', 'a-b_c', true],
    ['repeat count up to 1000', '^a{1000}$', 'a'.repeat(1000), true],
    ['{,n} is a literal in Go', '^a{,3}$', 'a{,3}', true],
    ['\\b word boundary', '\\bpod\\b', 'a pod here', true],
    ['octal escape', '^\\101$', 'A', true],
  ])('%s: %s', (_what, pattern, value, matches) => {
    expect(tryCompileRegex(pattern)).not.toBeInstanceOf(InvalidRegexError);
    expect(regexMatches(pattern, value)).toBe(matches);
  });
});

describe('Go RE2 syntax: rejected as Go regexp.Compile rejects it', () => {
  it.each<[string, string, string]>([
    // [what, pattern, part of the message]
    ['lookahead', 'foo(?=bar)', 'RE2 has no lookahead'],
    ['negative lookahead', '^(?!kube-).*', 'RE2 has no lookahead'],
    ['lookbehind', '(?<=a)b', 'RE2 has no lookbehind'],
    ['negative lookbehind', '(?<!a)b', 'RE2 has no lookbehind'],
    ['backreference', '(a)\\1', 'RE2 has no backreferences'],
    ['possessive +', 'a++', 'RE2 has no possessive quantifiers'],
    ['possessive *', 'a*+b', 'RE2 has no possessive quantifiers'],
    ['possessive {n}', 'a{2}+', 'RE2 has no possessive quantifiers'],
    ['nested repetition', 'a**', 'invalid nested repetition operator'],
    ['named backreference', '(?P<n>a)(?P=n)', 'invalid or unsupported Perl syntax'],
    ['\\k<name> backreference', '(?<n>a)\\k<n>', 'invalid escape sequence'],
    ['atomic group', '(?>a)', 'invalid or unsupported Perl syntax'],
    ['comment group', '(?#note)a', 'invalid or unsupported Perl syntax'],
    ['\\Z (Perl end-of-text)', 'a\\Z', 'invalid escape sequence'],
    ['\\G', '\\Ga', 'invalid escape sequence'],
    ['\\uXXXX (JavaScript escape)', '\\u0041', 'invalid escape sequence'],
    ['\\C (any byte)', 'a\\Cb', 'invalid escape sequence'],
    ['repeat count over 1000', 'a{1001}', 'invalid repeat count'],
    ['reversed range', '[z-a]', 'invalid character class range'],
    ['unknown POSIX class', '[[:foo:]]', 'invalid character class range'],
    ['unknown Unicode class', '\\p{Foo}', 'invalid character class range'],
    ['unterminated group', '(', 'missing closing )'],
    ['unterminated class', '[', 'missing closing ]'],
    ['unmatched )', 'a)', 'unexpected )'],
    ['trailing backslash', 'a\\', 'trailing backslash'],
    ['duplicate group name', '(?P<n>a)(?P<n>b)', 'duplicate capture group name'],
  ])('%s: %s', (_what, pattern, detail) => {
    const r = tryCompileRegex(pattern);
    expect(r).toBeInstanceOf(InvalidRegexError);
    const err = r as InvalidRegexError;
    expect(err.code).toBe('INVALID_REGEX');
    expect(err.pattern).toBe(pattern);
    expect(err.message).toContain(`invalid regex ${JSON.stringify(pattern)}: error parsing regexp: `);
    expect(err.message).toContain(detail);
    expect(() => compileRegex(pattern)).toThrow(InvalidRegexError);
    // an invalid pattern matches nothing, however the value looks
    expect(regexMatches(pattern, pattern)).toBe(false);
  });
});

describe('matching', () => {
  it.each<[string, string, boolean]>([
    // Unanchored, as Go's regexp.MatchString.
    ['Crash', 'KubePodCrashLooping', true],
    ['^Crash', 'KubePodCrashLooping', false],
    ['Looping$', 'KubePodCrashLooping', true],
    ['', 'anything', true],
    ['^$', '', true],
    ['.+', '', false],
    // Leftmost-first alternation still finds a match anywhere.
    ['b|ab', 'xab', true],
  ])('%j against %j → %s', (pattern, value, matches) => {
    expect(regexMatches(pattern, value)).toBe(matches);
    expect(compileRegex(pattern).test(value)).toBe(matches);
  });

  it('compiled regexes carry their source and are shared through the cache', () => {
    const a = compileRegex('^web-[0-9]+$');
    expect(a.source).toBe('^web-[0-9]+$');
    expect(compileRegex('^web-[0-9]+$')).toBe(a);
    expect(tryCompileRegex('(')).toBe(tryCompileRegex('('));
  });
});

describe('catastrophic-backtracking patterns run in linear time', () => {
  const hostile = `${'a'.repeat(40)}!`;
  it.each<[string, string, boolean]>([
    ['^(a+)+$', hostile, false],
    ['^(a+)+$', 'a'.repeat(40), true],
    ['^(a|a)*$', hostile, false],
    ['^(a|aa)+$', hostile, false],
    ['^(a*)*b$', hostile, false],
    ['(x+x+)+y', 'x'.repeat(40), false],
    ['^(\\w+\\s?)*$', `${'word '.repeat(20)}!`, false],
    ['^(a+)+$', `${'a'.repeat(100_000)}!`, false],
    ['^(a+)+$', 'a'.repeat(100_000), true],
    ['(a+)+b', `${'a'.repeat(100_000)}`, false],
    ['^(.*a){12}$', `${'a'.repeat(100_000)}`, true],
  ])('%s against %d chars', (pattern, value, matches) => {
    expect(regexMatches(pattern, value)).toBe(matches);
  });
});

describe('the compiled-pattern cache', () => {
  it('stays bounded however many distinct patterns are compiled', () => {
    for (let i = 0; i < 5000; i++) expect(regexMatches(`^pod-${i}$`, `pod-${i}`)).toBe(true);
    expect(regexCacheSize()).toBeLessThanOrEqual(4096);
    expect(regexCacheSize()).toBeGreaterThan(0);
  });

  it('keeps recently used patterns when it evicts', () => {
    const hot = compileRegex('^hot$');
    for (let i = 0; i < 5000; i++) {
      regexMatches(`^cold-${i}$`, 'x');
      if (i % 1000 === 0) compileRegex('^hot$');
    }
    // '^hot$' was used within the last 4096 insertions, so it is the same compiled object
    expect(compileRegex('^hot$')).toBe(hot);
  });
});
