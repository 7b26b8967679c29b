import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { byKind, render, REPO, type K8sObject } from './helm.support.js';

/** Every `nm_*` metric name the services register (their source), with the histogram and process series they imply. */
function registeredMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      if (entry === 'node_modules' || entry === 'dist') continue;
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts'))
        for (const m of readFileSync(p, 'utf8').matchAll(/'(nm_[a-z0-9_]+)'/g)) {
          names.add(m[1]!);
          for (const suffix of ['_bucket', '_count', '_sum']) names.add(m[1]! + suffix);
        }
    }
  };
  walk(join(REPO, 'packages'));
  walk(join(REPO, 'apps'));
  // prom-client's default process metrics under the `nm_` prefix (packages/telemetry/src/metrics.ts)
  for (const n of ['nm_process_start_time_seconds', 'nm_process_resident_memory_bytes', 'nm_process_cpu_seconds_total']) names.add(n);
  return names;
}
const metricsIn = (expr: string): string[] => [...expr.matchAll(/\b(nm_[a-z0-9_]+)/g)].map((m) => m[1]!);

const ENABLED = { metrics: { prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } }, grafanaDashboard: { enabled: true } } };

describe('observability in the chart (metrics.prometheusRule, metrics.grafanaDashboard)', () => {
  it('renders neither unless enabled', () => {
    const { objects } = render();
    expect(byKind(objects, 'PrometheusRule')).toEqual([]);
    expect(byKind(objects, 'ConfigMap').filter((c) => c.metadata.name.endsWith('-dashboard'))).toEqual([]);
  });

  it('alerts on stage lag, dead-letter growth and the delivery failure ratio per channel, over metrics the services export', () => {
    const rules = byKind(render({ values: ENABLED }).objects, 'PrometheusRule');
    expect(rules).toHaveLength(1);
    const rule = rules[0] as K8sObject & { spec: { groups: Array<{ rules: Array<{ alert: string; expr: string; for?: string }> }> } };
    expect(rule.metadata.labels?.['release']).toBe('kube-prometheus-stack');
    const alerts = rule.spec.groups.flatMap((g) => g.rules);
    expect(alerts.map((a) => a.alert)).toEqual(['NotificationManagerStageLagging', 'NotificationManagerDeadLettersGrowing', 'NotificationManagerDeliveryFailing']);
    const byName = Object.fromEntries(alerts.map((a) => [a.alert, a]));
    expect(byName['NotificationManagerStageLagging']!.expr).toBe('max by (namespace, stage) (nm_consumer_pending_messages{job=~"nm-notification-manager.*"}) > 1000');
    expect(byName['NotificationManagerDeadLettersGrowing']!.expr).toContain('increase(nm_dead_letters_total{job=~"nm-notification-manager.*"}[15m])) > 0');
    expect(byName['NotificationManagerDeliveryFailing']!.expr).toContain('sum by (namespace, channel) (rate(nm_notifications_total{job=~"nm-notification-manager.*",result=~"failed|partial"}[10m]))');
    expect(byName['NotificationManagerDeliveryFailing']!.expr).toContain('> 0.1');
    const known = registeredMetrics();
    for (const a of alerts) for (const m of metricsIn(a.expr)) expect([a.alert, m, known.has(m)]).toEqual([a.alert, m, true]);
  });

  it('takes thresholds from values', () => {
    const values = { metrics: { prometheusRule: { enabled: true, stageLagMessages: 50, dlqGrowth: 3, deliveryFailureRatio: 0.25, for: '5m' } } };
    const rule = byKind(render({ values }).objects, 'PrometheusRule')[0] as K8sObject & { spec: { groups: Array<{ rules: Array<{ alert: string; expr: string; for?: string }> }> } };
    const [lag, dlq, failing] = rule.spec.groups[0]!.rules;
    expect(lag!.expr).toMatch(/ > 50$/);
    expect(lag!.for).toBe('5m');
    expect(dlq!.expr).toMatch(/ > 3$/);
    expect(failing!.expr.trim()).toMatch(/> 0\.25$/);
  });

  it('refuses a failure ratio above 1', () => {
    expect(() => render({ values: { metrics: { prometheusRule: { enabled: true, deliveryFailureRatio: 2 } } } })).toThrow(/deliveryFailureRatio/);
  });

  it('ships the Grafana dashboard as a ConfigMap for the sidecar, every panel over metrics the services export', () => {
    const maps = byKind(render({ values: ENABLED }).objects, 'ConfigMap').filter((c) => c.metadata.name === 'nm-notification-manager-dashboard');
    expect(maps).toHaveLength(1);
    expect(maps[0]!.metadata.labels?.['grafana_dashboard']).toBe('1');
    const dashboard = JSON.parse((maps[0] as K8sObject & { data: Record<string, string> }).data['notification-manager.json']!) as {
      uid: string;
      panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
    };
    expect(dashboard.uid).toBe('notification-manager');
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
    const titles = dashboard.panels.map((p) => p.title);
    expect(titles).toEqual(expect.arrayContaining(['Consumer lag per stage (messages not yet delivered)', 'Dead letters, by stage and reason', 'Delivery failure ratio per channel']));
    const known = registeredMetrics();
    for (const e of exprs) {
      expect(metricsIn(e.expr).length).toBeGreaterThan(0);
      for (const m of metricsIn(e.expr)) expect([e.title, m, known.has(m)]).toEqual([e.title, m, true]);
    }
  });
});
