import { describe, expect, it } from '@jest/globals';
import { buildViewModel } from './notification.render.js';
import { createTemplateRegistry } from './template.registry.js';
import { alert } from './test-support/render.helpers.js';
import type { ViewModelInput } from './view.model.js';

const { registry } = createTemplateRegistry({ timeZone: 'Asia/Shanghai' });

function vm(alerts: ViewModelInput['alerts'], more: Partial<ViewModelInput> & { language?: string } = {}) {
  return buildViewModel(registry, {
    alerts,
    groupLabels: { namespace: 'n1', alertname: 'A' },
    receiver: { name: 'ops', tenant: 'team-a' },
    notificationTime: new Date('2024-07-01T00:00:00Z'),
    ...more,
  });
}

const firing = (labels: Record<string, string> = { alertname: 'A' }, annotations: Record<string, string> = {}) => alert(labels, annotations);
const resolved = (labels: Record<string, string> = { alertname: 'A' }) => alert(labels, {}, { status: 'resolved', endsAt: '2024-07-01T12:30:00Z' });

describe('status', () => {
  it.each([
    ['firing', [firing(), firing()], 'FIRING', '触发中'],
    ['resolved', [resolved()], 'RESOLVED', '已解决'],
    ['mixed', [firing(), resolved()], 'FIRING|RESOLVED', '触发中|已解决'],
  ] as const)('%s', (status, alerts, en, zh) => {
    const v = vm([...alerts]);
    expect(v.status).toBe(status);
    expect(v.statusText).toBe(en);
    expect(vm([...alerts], { language: 'zh-cn' }).statusText).toBe(zh);
    expect([v.isFiring, v.isResolved, v.isMixed]).toEqual([status === 'firing', status === 'resolved', status === 'mixed']);
  });

  it('counts and splits the alerts, each list with its own positions', () => {
    const alerts = [firing({ alertname: 'A', i: '1' }), resolved({ alertname: 'A', i: '2' }), firing({ alertname: 'A', i: '3' })];
    const v = vm(alerts);
    expect([v.alertCount, v.firingCount, v.resolvedCount, v.single, v.multiple]).toEqual([3, 2, 1, false, true]);
    expect(v.firingAlerts.map((a) => [a.labels.i, a.number, a.first, a.last])).toEqual([
      ['1', 1, true, false],
      ['3', 2, false, true],
    ]);
    expect(v.alerts.resolved.map((a) => [a.labels.i, a.statusText, a.first, a.last])).toEqual([['2', 'RESOLVED', true, true]]);
    expect(v.alerts.map((a) => a.number)).toEqual([1, 2, 3]);
  });
});

describe('label and annotation lists', () => {
  it('puts alertname first, sorts the rest, hides rule_id and translates names', () => {
    const a = firing({ severity: 'warning', rule_id: 'r1', alertname: 'A', Zeta: 'z', cluster: 'c', namespace: 'n' });
    expect(vm([a]).alerts[0]!.labelPairs.map((p) => p.name)).toEqual(['alertname', 'Zeta', 'cluster', 'namespace', 'severity']);
    const zh = vm([a], { language: 'zh-cn' }).alerts[0]!.labelPairs;
    expect(zh.map((p) => p.displayName)).toEqual(['告警名称', 'Zeta', '集群', '项目', '告警级别']);
    expect(zh.map((p) => [p.first, p.last])).toEqual([
      [true, false],
      [false, false],
      [false, false],
      [false, false],
      [false, true],
    ]);
  });

  it('hides the message sources and the runbook from annotation lists, not from allAnnotationPairs', () => {
    const a = firing({ alertname: 'A' }, { message: 'm', summary: 's', summary_cn: 'c', summaryCn: 'C', runbook_url: 'u', description: 'd', aliasName: 'x' });
    const view = vm([a]).alerts[0]!;
    expect(view.annotationPairs.map((p) => p.name)).toEqual(['aliasName', 'description']);
    expect(view.allAnnotationPairs.map((p) => p.name)).toEqual(['aliasName', 'description', 'message', 'runbook_url', 'summary', 'summaryCn', 'summary_cn']);
    expect(view.runbookURL).toBe('u');
  });

  it('computes common labels and annotations (same value everywhere, empty values dropped)', () => {
    const v = vm([
      firing({ alertname: 'A', severity: 'critical', pod: 'p1', empty: '' }, { runbook_url: 'u', message: 'x' }),
      firing({ alertname: 'A', severity: 'critical', pod: 'p2', empty: '' }, { runbook_url: 'u', message: 'y' }),
    ]);
    expect({ ...v.commonLabels }).toEqual({ alertname: 'A', severity: 'critical' });
    expect({ ...v.commonAnnotations }).toEqual({ runbook_url: 'u' });
    expect(v.commonAnnotationPairs).toEqual([]);
    expect(v.groupLabelPairs.map((p) => `${p.name}=${p.value}`)).toEqual(['alertname=A', 'namespace=n1']);
  });
});

describe('messages', () => {
  it.each([
    [{ message: 'm', summary: 's', summaryCn: 'c' }, 'm', 'c'],
    [{ summary: 's', summaryCn: 'c' }, 's', 'c'],
    [{ summaryCn: 'c' }, 'c', 'c'],
    [{ summary_cn: 'c2', summary: 's' }, 's', 'c2'],
    [{ message: '', summary: 's' }, 's', 's'],
    [{}, '', ''],
  ])('%j → en %j, zh-cn %j', (annotations, en, zh) => {
    expect(vm([firing({ alertname: 'A' }, annotations)]).alerts[0]!.message).toBe(en);
    expect(vm([firing({ alertname: 'A' }, annotations)], { language: 'zh-cn' }).alerts[0]!.message).toBe(zh);
  });
});

describe('times, links, identity', () => {
  it('formats times in the registry time zone and leaves endTime empty while firing', () => {
    const v = vm([firing(), resolved()]);
    expect(v.alerts.map((a) => [a.startTime, a.endTime])).toEqual([
      ['2024-07-01 20:00:00 +08:00', ''],
      ['2024-07-01 20:00:00 +08:00', '2024-07-01 20:30:00 +08:00'],
    ]);
    expect(v.notificationTime).toBe('2024-07-01 08:00:00 +08:00');
    expect(v.timeZone).toBe('Asia/Shanghai');
  });

  it('only offers http(s) generator URLs as sourceURL', () => {
    const ok = alert({ alertname: 'A' }, {}, { generatorURL: 'https://p/graph' });
    const bad = alert({ alertname: 'A' }, {}, { generatorURL: 'javascript:alert(1)' });
    expect(vm([ok, bad]).alerts.map((a) => [a.generatorURL, a.sourceURL])).toEqual([
      ['https://p/graph', 'https://p/graph'],
      ['javascript:alert(1)', ''],
    ]);
  });

  it('carries receiver, tenant, external URL and a default group key', () => {
    const v = vm([firing()], { externalURL: 'http://am' });
    expect([v.receiver, v.tenant, v.externalURL, v.groupKey, v.language]).toEqual(['ops', 'team-a', 'http://am', '{}:{alertname="A", namespace="n1"}', 'English']);
    expect(vm([firing()], { groupKey: 'k' }).groupKey).toBe('k');
  });

  it('keeps label maps free of inherited names', () => {
    const labels = vm([firing()]).alerts[0]!.labels;
    expect('constructor' in labels).toBe(false);
    expect('toString' in labels).toBe(false);
  });
});
