import { describe, expect, it } from '@jest/globals';
import { commonAnnotations, commonLabels, groupAlerts } from './group.js';
import { labelSetString } from './labels.js';

const a = (labels: Record<string, string>, annotations: Record<string, string> = {}) => ({ labels, annotations });

describe('groupAlerts', () => {
  const alerts = [
    a({ alertname: 'A', namespace: 'x', pod: '1' }),
    a({ alertname: 'B', namespace: 'x' }),
    a({ alertname: 'A', namespace: 'x', pod: '2' }),
    a({ alertname: 'A' }),
    a({ alertname: 'A', namespace: '' }),
  ];

  it('groups by label values, missing = empty and left out of the group labels', () => {
    const groups = groupAlerts(alerts, ['namespace', 'alertname']);
    expect(groups.map((g) => [g.labels, g.alerts.length])).toEqual([
      [{ alertname: 'A', namespace: 'x' }, 2],
      [{ alertname: 'B', namespace: 'x' }, 1],
      [{ alertname: 'A' }, 2],
    ]);
    expect(groups[0]!.alerts).toEqual([alerts[0], alerts[2]]);
  });

  it('reads only an alert\'s own labels: names of Object.prototype\'s members are missing labels, __proto__ a label like any other', () => {
    const own = JSON.parse('{"alertname":"A","__proto__":"p"}') as Record<string, string>;
    const groups = groupAlerts([a({ alertname: 'A' }), a(own)], ['constructor', 'toString', '__proto__']);
    expect(groups.map((g) => [Object.entries(g.labels), g.alerts.length])).toEqual([
      [[], 1],
      [[['__proto__', 'p']], 1],
    ]);
  });

  it('gives stable keys independent of groupLabels order', () => {
    expect(groupAlerts(alerts, ['alertname', 'namespace']).map((g) => g.key)).toEqual(
      groupAlerts(alerts, ['namespace', 'alertname']).map((g) => g.key),
    );
    expect(new Set(groupAlerts(alerts, ['alertname', 'namespace']).map((g) => g.key)).size).toBe(3);
  });

  it.each([[undefined], [null], [[]]])('puts everything in one group for groupLabels %p', (gl) => {
    const groups = groupAlerts(alerts, gl);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.labels).toEqual({});
    expect(groups[0]!.alerts).toHaveLength(5);
  });

  it('never merges alerts whose values only concatenate alike (separators and lengths inside values)', () => {
    const tricky = [
      a({ a: 'x:1', b: 'y' }),
      a({ a: 'x', b: '1:y' }),
      a({ a: '3:x', b: '' }),
      a({ a: '', b: '3:x' }),
      a({ a: '1:x0:', b: '' }),
      a({ a: '1:x', b: '' }),
      a({ a: 'x:1', b: 'y' }),
    ];
    const groups = groupAlerts(tricky, ['a', 'b']);
    expect(groups.map((g) => [g.labels, g.alerts.length])).toEqual([
      [{ a: 'x:1', b: 'y' }, 2],
      [{ a: 'x', b: '1:y' }, 1],
      [{ a: '3:x' }, 1],
      [{ b: '3:x' }, 1],
      [{ a: '1:x0:' }, 1],
      [{ a: '1:x' }, 1],
    ]);
    expect(new Set(groups.map((g) => g.key)).size).toBe(groups.length);
  });

  it('follows the group labels it is given, also when a caller changes its list in place', () => {
    const labels = ['alertname'];
    expect(groupAlerts(alerts, labels)).toHaveLength(2);
    labels.push('pod');
    expect(groupAlerts(alerts, labels).map((g) => g.labels)).toEqual([
      { alertname: 'A', pod: '1' },
      { alertname: 'B' },
      { alertname: 'A', pod: '2' },
      { alertname: 'A' },
    ]);
    expect(groupAlerts(alerts, ['pod', 'alertname', 'pod'])).toHaveLength(4);
  });

  it('returns no groups for no alerts', () => {
    expect(groupAlerts([], ['alertname'])).toEqual([]);
  });
});

describe('commonLabels / commonAnnotations', () => {
  it('keeps identical non-empty values only', () => {
    const alerts = [
      a({ alertname: 'A', namespace: 'x', e: '', pod: '1' }, { summary: 's', runbook: 'r1' }),
      a({ alertname: 'A', namespace: 'x', e: '', pod: '2' }, { summary: 's', runbook: 'r2' }),
    ];
    expect(commonLabels(alerts)).toEqual({ alertname: 'A', namespace: 'x' });
    expect(commonAnnotations(alerts)).toEqual({ summary: 's' });
  });
  it('requires presence in every alert', () => {
    expect(commonLabels([a({ x: '1' }), a({})])).toEqual({});
    expect(commonLabels([])).toEqual({});
  });
});

describe('labelSetString', () => {
  it('renders a label set as Alertmanager does: sorted by name, values quoted and escaped', () => {
    expect(labelSetString({ namespace: 'ns', alertname: 'A' })).toBe('{alertname="A", namespace="ns"}');
    expect(labelSetString({ b: 'say "hi"\n', a: '' })).toBe('{a="", b="say \\"hi\\"\\n"}');
    expect(labelSetString({})).toBe('{}');
  });
});
