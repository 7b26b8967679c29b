import { describe, expect, it } from '@jest/globals';
import type { InhibitRule } from './crd/inhibit-rule.schema.js';
import { equalKey, inhibitedBy, sourceKeys, targetKeys, type InhibitionAlert } from './inhibit.rule.js';
import { inhibitRule } from './test-support/builders.js';

const nodeDown = inhibitRule('node-down', {
  sourceSelector: { matchLabels: { alertname: 'NodeDown' } },
  targetSelector: { matchExpressions: [{ key: 'severity', operator: 'In', values: ['warning', 'info'] }] },
  equal: ['cluster', 'instance'],
});
const critOverWarn = inhibitRule('crit-over-warn', {
  sourceSelector: { matchLabels: { severity: 'critical' } },
  targetSelector: { matchLabels: { severity: 'warning' } },
  equal: ['alertname'],
});
const selfish = inhibitRule('selfish', {
  sourceSelector: { matchLabels: { team: 'a' } },
  targetSelector: { matchLabels: { team: 'a' } },
});
const noEqual = inhibitRule('no-equal', { sourceSelector: { matchLabels: { alertname: 'Maintenance' } }, targetSelector: { matchLabels: { severity: 'info' } } });
const disabled = inhibitRule('disabled', { enabled: false, sourceSelector: {}, targetSelector: {} });

const A = (labels: Record<string, string>, status?: string): InhibitionAlert => ({ labels, ...(status ? { status } : {}) });

describe('inhibitedBy', () => {
  it.each<[string, InhibitionAlert, InhibitRule[], InhibitionAlert[], string[]]>([
    ['source with equal labels inhibits', A({ severity: 'warning', cluster: 'c', instance: 'i' }), [nodeDown], [A({ alertname: 'NodeDown', cluster: 'c', instance: 'i' })], ['node-down']],
    ['different equal label does not', A({ severity: 'warning', cluster: 'c', instance: 'i' }), [nodeDown], [A({ alertname: 'NodeDown', cluster: 'c', instance: 'j' })], []],
    ['missing equal labels on both sides count as equal', A({ severity: 'info' }), [nodeDown], [A({ alertname: 'NodeDown' })], ['node-down']],
    ['missing equals empty', A({ severity: 'info', cluster: '' }), [nodeDown], [A({ alertname: 'NodeDown', instance: '' })], ['node-down']],
    ['missing vs present differs', A({ severity: 'info' }), [nodeDown], [A({ alertname: 'NodeDown', cluster: 'c' })], []],
    ['resolved sources do not inhibit', A({ severity: 'warning' }), [nodeDown], [A({ alertname: 'NodeDown' }, 'resolved')], []],
    ['firing status inhibits', A({ severity: 'warning' }), [nodeDown], [A({ alertname: 'NodeDown' }, 'firing')], ['node-down']],
    ['target not matching is not inhibited', A({ severity: 'critical' }), [nodeDown], [A({ alertname: 'NodeDown' })], []],
    ['empty equal: any source inhibits', A({ severity: 'info', x: '1' }), [noEqual], [A({ alertname: 'Maintenance', y: '2' })], ['no-equal']],
    ['several rules', A({ severity: 'warning', alertname: 'X' }), [nodeDown, critOverWarn], [A({ alertname: 'X', severity: 'critical' }), A({ alertname: 'NodeDown' })], ['node-down', 'crit-over-warn']],
    ['an alert matching both sides is not inhibited by itself', A({ team: 'a', n: '1' }), [selfish], [A({ team: 'a', n: '1' })], []],
    ['nor by another alert matching both sides', A({ team: 'a', n: '1' }), [selfish], [A({ team: 'a', n: '2' })], []],
    ['disabled rules are ignored', A({ any: 'x' }), [disabled], [A({ any: 'y' })], []],
    ['no sources, no inhibition', A({ severity: 'warning' }), [nodeDown], [], []],
  ])('%s', (_n, target, rules, sources, expected) => {
    expect(inhibitedBy(target, rules, sources)).toEqual(expected);
  });

  it('self-exclusion is per rule: a both-sides target can still be inhibited by a source-only alert', () => {
    const rule = inhibitRule('r', { sourceSelector: { matchLabels: { kind: 'x' } }, targetSelector: { matchLabels: { sev: 'low' } } });
    expect(inhibitedBy(A({ kind: 'x', sev: 'low' }), [rule], [A({ kind: 'x', sev: 'high' })])).toEqual(['r']);
    expect(inhibitedBy(A({ kind: 'x', sev: 'low' }), [rule], [A({ kind: 'x', sev: 'low', other: '1' })])).toEqual([]);
  });
});

describe('sourceKeys / targetKeys', () => {
  it('keys a source and its targets identically', () => {
    const source = A({ alertname: 'NodeDown', cluster: 'c', instance: 'i', extra: 'e' });
    const target = A({ severity: 'info', cluster: 'c', instance: 'i' });
    const s = sourceKeys(source, [nodeDown, critOverWarn, disabled])[0]!;
    expect(sourceKeys(source, [nodeDown, critOverWarn, disabled])).toHaveLength(1);
    expect(s).toEqual({ rule: 'node-down', key: equalKey({ cluster: 'c', instance: 'i' }, ['instance', 'cluster']), bothSides: false });
    expect(targetKeys(target, [nodeDown, critOverWarn])).toEqual([{ rule: 'node-down', key: s.key, bothSides: false }]);
  });
  it('marks alerts matching both sides', () => {
    expect(targetKeys(A({ team: 'a' }), [selfish])).toEqual([{ rule: 'selfish', key: equalKey({}, []), bothSides: true }]);
  });
  it('equalKey reads own labels only: a name of an Object.prototype member is a missing label', () => {
    expect(equalKey({ a: '1' }, ['constructor', 'a'])).toBe(equalKey({ a: '1', constructor: '' }, ['constructor', 'a']));
    const own = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
    expect(equalKey(own, ['__proto__'])).not.toBe(equalKey({}, ['__proto__']));
  });
  it('equalKey treats missing as empty and ignores other labels', () => {
    expect(equalKey({ a: '' }, ['a', 'b'])).toBe(equalKey({ x: '1' }, ['b', 'a']));
    expect(equalKey({ a: '1' }, ['a'])).not.toBe(equalKey({ a: '2' }, ['a']));
  });
});
