import { describe, expect, it } from '@jest/globals';
import type { LabelSelector } from './crd/common.schema.js';
import { matchesSelector, selectorProblems } from './selector.js';

const L = { alertname: 'KubePodCrashLooping', namespace: 'kube-system', severity: 'critical', empty: '' };

describe('matchesSelector', () => {
  it.each<[string, LabelSelector | undefined | null, boolean]>([
    ['absent selector matches everything', undefined, true],
    ['null selector matches everything', null, true],
    ['empty selector matches everything', {}, true],
    ['empty lists match everything', { matchLabels: {}, matchExpressions: [] }, true],
    ['matchLabels equal', { matchLabels: { severity: 'critical' } }, true],
    ['matchLabels all pairs ANDed', { matchLabels: { severity: 'critical', namespace: 'default' } }, false],
    ['matchLabels missing label', { matchLabels: { pod: 'x' } }, false],
    ['matchLabels empty value does not match a missing label', { matchLabels: { pod: '' } }, false],
    ['matchLabels empty value matches an empty label', { matchLabels: { empty: '' } }, true],
    ['In present', { matchExpressions: [{ key: 'severity', operator: 'In', values: ['warning', 'critical'] }] }, true],
    ['In absent value', { matchExpressions: [{ key: 'severity', operator: 'In', values: ['warning'] }] }, false],
    ['In missing label', { matchExpressions: [{ key: 'pod', operator: 'In', values: [''] }] }, false],
    ['NotIn present other value', { matchExpressions: [{ key: 'severity', operator: 'NotIn', values: ['warning'] }] }, true],
    ['NotIn present same value', { matchExpressions: [{ key: 'severity', operator: 'NotIn', values: ['critical'] }] }, false],
    ['NotIn missing label matches', { matchExpressions: [{ key: 'pod', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'namespace', operator: 'Exists' }] }, true],
    ['Exists missing', { matchExpressions: [{ key: 'pod', operator: 'Exists' }] }, false],
    ['Exists on empty value', { matchExpressions: [{ key: 'empty', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'pod', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist present', { matchExpressions: [{ key: 'namespace', operator: 'DoesNotExist' }] }, false],
    ['Match is unanchored (substring)', { matchExpressions: [{ key: 'alertname', operator: 'Match', regexValue: 'Crash' }] }, true],
    ['Match anchored needs ^$', { matchExpressions: [{ key: 'alertname', operator: 'Match', regexValue: '^Crash$' }] }, false],
    ['Match alternation', { matchExpressions: [{ key: 'namespace', operator: 'Match', regexValue: '^(default|kube-.*)$' }] }, true],
    ['Match missing label is the empty string: ^$ matches', { matchExpressions: [{ key: 'pod', operator: 'Match', regexValue: '^$' }] }, true],
    ['Match missing label is the empty string: .+ does not', { matchExpressions: [{ key: 'pod', operator: 'Match', regexValue: '.+' }] }, false],
    ['Match missing label with .* matches (fixed upstream #257 semantics)', { matchExpressions: [{ key: 'pod', operator: 'Match', regexValue: '.*' }] }, true],
    ['Match with RE2 inline flag (?i)', { matchExpressions: [{ key: 'severity', operator: 'Match', regexValue: '(?i)^CRITICAL$' }] }, true],
    ['Match with invalid regex matches nothing', { matchExpressions: [{ key: 'severity', operator: 'Match', regexValue: '(' }] }, false],
    ['labels AND expressions', { matchLabels: { severity: 'critical' }, matchExpressions: [{ key: 'namespace', operator: 'In', values: ['default'] }] }, false],
  ])('%s', (_name, selector, expected) => {
    expect(matchesSelector(selector, L)).toBe(expected);
  });
});

describe('selectorProblems', () => {
  it('reports bad regexes, empty In values and values on Exists, with paths', () => {
    const problems = selectorProblems(
      {
        matchExpressions: [
          { key: 'a', operator: 'Match', regexValue: '([' },
          { key: 'b', operator: 'In', values: [] },
          { key: 'c', operator: 'Exists', values: ['x'] },
          { key: 'd', operator: 'Match' },
          { key: 'e', operator: 'Match', regexValue: '^ok$' },
        ],
      },
      'spec.alertSelector',
    );
    expect(problems.map((p) => [p.severity, p.field])).toEqual([
      ['error', 'spec.alertSelector.matchExpressions[0].regexValue'],
      ['error', 'spec.alertSelector.matchExpressions[1].values'],
      ['error', 'spec.alertSelector.matchExpressions[2].values'],
      ['warning', 'spec.alertSelector.matchExpressions[3].regexValue'],
    ]);
  });
  it('has nothing to say about an absent selector', () => {
    expect(selectorProblems(undefined, 'x')).toEqual([]);
  });
});
