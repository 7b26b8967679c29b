import { describe, expect, it } from '@jest/globals';
import { explainRoute } from './route.explain.js';
import { buildRoutingIndex, routeAlert } from './route.js';
import { deflt, global, inhibitRule, nm, receiver, router, silence, snapshot, tenant } from './test-support/builders.js';

const NOW = new Date('2024-01-01T12:00:00Z');
const snap = snapshot({
  notificationManager: nm(),
  receivers: [
    receiver('g1', global),
    receiver('a1', tenant('team-a')),
    receiver('a2', tenant('team-a'), { slack: { channels: ['#a'], alertSelector: { matchLabels: { severity: 'critical' } } } }),
    receiver('b1', tenant('team-b')),
    receiver('d1', deflt),
  ],
  routers: [router('to-b', { alertSelector: { matchLabels: { alertname: 'Shared' } }, receivers: { name: ['b1'] } })],
  silences: [silence('g-maint', global, { matcher: { matchLabels: { maintenance: 'true' } } })],
  inhibitRules: [
    inhibitRule('g-node', { sourceSelector: { matchLabels: { alertname: 'NodeDown' } }, targetSelector: { matchLabels: { severity: 'warning' } } }),
    inhibitRule('a-crit', { sourceSelector: { matchLabels: { severity: 'critical' } }, targetSelector: { matchLabels: { severity: 'info' } }, equal: ['namespace'] }, tenant('team-a')),
  ],
});

describe('explainRoute', () => {
  it('writes a readable report with cross-tenant routing and filters', () => {
    const r = explainRoute({ labels: { alertname: 'Shared', namespace: 'team-a' } }, snap, { now: NOW });
    expect(r.text).toBe(
      [
        'Alert {alertname="Shared", namespace="team-a"} at 2024-01-01T12:00:00.000Z (config revision 1)',
        'Global silences: none match',
        'Tenants: team-a (namespace team-a in cluster default; the namespace is the tenant)',
        'Routers matched: to-b',
        '  Router to-b targets: webhook/b1 (tenant team-b)',
        '  Cross-tenant: Router to-b sends this alert to webhook/b1 (tenant team-b), a tenant it does not belong to (alert tenants: team-a)',
        'Policy All: routePolicy All adds global and tenant receivers',
        'Filtered out slack/a2 (tenant team-a): alertSelector does not match',
        'Receivers: webhook/b1 (tenant team-b), webhook/g1 (global), webhook/a1 (tenant team-a)',
      ].join('\n'),
    );
    expect(r.silencedBy).toEqual([]);
  });

  it('reports global silences and global inhibition before routing', () => {
    const r = explainRoute({ labels: { alertname: 'X', severity: 'warning', maintenance: 'true' } }, snap, {
      now: NOW,
      firingSources: [{ labels: { alertname: 'NodeDown' } }],
    });
    expect(r.silencedBy).toEqual(['g-maint']);
    expect(r.inhibitedBy).toEqual(['g-node']);
    expect(r.text).toContain('Muted before routing by Silence g-maint');
    expect(r.text).toContain('Muted before routing by InhibitRule g-node');
    expect(r.text).toContain('Routing if it were not muted:');
    expect(r.text).toContain('Tenants: none (no namespace label; global receivers only)');
  });

  it('accepts a routing index', () => {
    const r = explainRoute({ labels: { alertname: 'X' } }, buildRoutingIndex(snap), { now: NOW });
    expect(r.decision.receivers.map((x) => x.name)).toEqual(['g1']);
  });
});

describe('tenant inhibit rules in routeAlert', () => {
  const index = buildRoutingIndex(snap);
  const info = { labels: { alertname: 'Y', namespace: 'team-a', severity: 'info' } };
  it('mute only the tenant receivers when firing sources are given', () => {
    const d = routeAlert(info, index, { now: NOW, firingSources: [{ labels: { alertname: 'Z', namespace: 'team-a', severity: 'critical' } }] });
    expect(d.receivers.map((r) => r.name)).toEqual(['g1']);
    expect(d.explain).toContainEqual({ kind: 'inhibited', receiver: { name: 'a1', channel: 'webhook', tenant: 'team-a' }, rules: ['a-crit'] });
  });
  it('respect equal labels and are skipped without firing sources', () => {
    expect(routeAlert(info, index, { now: NOW, firingSources: [{ labels: { severity: 'critical', namespace: 'team-b' } }] }).receivers.map((r) => r.name)).toEqual(['g1', 'a1']);
    expect(routeAlert(info, index, { now: NOW }).receivers.map((r) => r.name)).toEqual(['g1', 'a1']);
  });
});
