import { describe, expect, it } from '@jest/globals';
import { DEFAULT_TENANT, GLOBAL_TENANT, receiverKey } from '@nm/contracts';
import type { RoleBinding } from './crd/core.schema.js';
import type { RoutePolicy } from './crd/notification-manager.schema.js';
import type { Router } from './crd/router.schema.js';
import { buildRoutingIndex, routeAlert, type RouteOptions } from './route.js';
import { deflt, global, nm, receiver, router, silence, snapshot, tenant } from './test-support/builders.js';

const NOW = new Date('2024-01-01T12:00:00Z');

const receivers = [
  receiver('g1', global, { webhook: { url: 'http://g1' } }),
  receiver('g2', global, { email: { to: ['ops@x'], enabled: false } }),
  receiver('a1', tenant('team-a'), { webhook: { url: 'http://a1' } }),
  receiver('a2', { ...tenant('team-a'), owner: 'alice' }, { slack: { channels: ['#a'], alertSelector: { matchLabels: { severity: 'critical' } } } }),
  receiver('b1', tenant('team-b'), { webhook: { url: 'http://b1' }, slack: { channels: ['#b'] } }),
  receiver('d1', deflt, { webhook: { url: 'http://d1' } }),
  receiver('stray', {}, { webhook: { url: 'http://stray' } }),
];
const silences = [
  silence('a-noisy', tenant('team-a'), { matcher: { matchLabels: { alertname: 'Noisy' } } }),
  silence('b-all', tenant('team-b'), { matcher: {} }),
  silence('global-noisy', global, { matcher: { matchLabels: { alertname: 'Noisy' } } }),
];

function decide(labels: Record<string, string>, routers: Router[] = [], routePolicy: RoutePolicy = 'All', opts: RouteOptions = {}) {
  const index = buildRoutingIndex(snapshot({ notificationManager: nm({ routePolicy }), receivers, silences, routers }));
  return routeAlert({ labels }, index, { now: NOW, ...opts });
}
const keys = (d: ReturnType<typeof decide>): string[] => d.receivers.map((r) => receiverKey(r));

describe('routeAlert', () => {
  it.each<[string, Record<string, string>, Router[], RoutePolicy, string[]]>([
    ['namespace alert reaches global + own tenant', { alertname: 'X', namespace: 'team-a' }, [], 'All', ['webhook/g1', 'webhook/a1']],
    ['receiver alertSelector lets critical through', { alertname: 'X', namespace: 'team-a', severity: 'critical' }, [], 'All', ['webhook/g1', 'webhook/a1', 'slack/a2']],
    ['alert without namespace reaches global only', { alertname: 'X' }, [], 'All', ['webhook/g1']],
    ['empty namespace counts as none', { alertname: 'X', namespace: '' }, [], 'All', ['webhook/g1']],
    ['namespace without receivers reaches global only', { alertname: 'X', namespace: 'team-c' }, [], 'All', ['webhook/g1']],
    ['default receivers are never reached by namespace routing', { alertname: 'X', namespace: DEFAULT_TENANT }, [], 'All', ['webhook/g1']],
    ['tenant silence mutes only that tenant', { alertname: 'Noisy', namespace: 'team-a', severity: 'critical' }, [], 'All', ['webhook/g1']],
    ['RouterOnly without routers reaches nobody (global excluded)', { alertname: 'X', namespace: 'team-a' }, [], 'RouterOnly', []],
    ['RouterOnly reaches a global receiver a Router names', { alertname: 'X', namespace: 'team-a' }, [router('r', { receivers: { name: ['g1'] } })], 'RouterOnly', ['webhook/g1']],
    ['RouterFirst: router targets only', { alertname: 'X', namespace: 'team-a' }, [router('r', { receivers: { name: ['d1'] } })], 'RouterFirst', ['webhook/d1']],
    ['RouterFirst: namespace receivers when no router matches', { alertname: 'X', namespace: 'team-a' }, [router('r', { alertSelector: { matchLabels: { alertname: 'Y' } }, receivers: { name: ['d1'] } })], 'RouterFirst', ['webhook/g1', 'webhook/a1']],
    ['RouterFirst: namespace receivers when routers yield only disabled receivers', { alertname: 'X', namespace: 'team-a' }, [router('r', { receivers: { name: ['g2'] } })], 'RouterFirst', ['webhook/g1', 'webhook/a1']],
    ['All: router targets first, then namespace receivers, deduplicated', { alertname: 'X', namespace: 'team-a' }, [router('r', { receivers: { name: ['a1', 'd1'] } })], 'All', ['webhook/a1', 'webhook/d1', 'webhook/g1']],
    // (b1 is always muted by team-b's match-everything silence `b-all`.)
    ['regexName is unanchored', { alertname: 'X' }, [router('r', { receivers: { regexName: '1' } })], 'RouterOnly', ['webhook/a1', 'webhook/d1', 'webhook/g1']],
    ['type restricts name/regex/selector, case-insensitively', { alertname: 'X', severity: 'critical' }, [router('r', { receivers: { regexName: 'a', type: 'SLACK' } })], 'RouterOnly', ['slack/a2']],
    ['selector matches Receiver CR labels', { alertname: 'X', severity: 'critical' }, [router('r', { receivers: { selector: { matchLabels: { owner: 'alice' } } } })], 'RouterOnly', ['slack/a2']],
    ['channels[] targets a tenant by type', { alertname: 'X' }, [router('r', { receivers: { channels: [{ tenant: 'team-b', type: ['Slack'] }] } })], 'RouterOnly', []],
    ['channels[] without types targets all the tenant receivers', { alertname: 'X' }, [router('r', { receivers: { channels: [{ tenant: 'team-a' }] } })], 'RouterOnly', ['webhook/a1']],
    ['a disabled Router is ignored', { alertname: 'X' }, [router('r', { enabled: false, receivers: { name: ['d1'] } })], 'RouterOnly', []],
    ['a Router whose alertSelector does not match is ignored', { alertname: 'X' }, [router('r', { alertSelector: { matchExpressions: [{ key: 'alertname', operator: 'Match', regexValue: '^Y' }] }, receivers: { name: ['d1'] } })], 'RouterOnly', []],
    ['unclassified receivers are unreachable even by name', { alertname: 'X' }, [router('r', { receivers: { name: ['stray'] } })], 'RouterOnly', []],
  ])('%s', (_n, labels, routers, policy, expected) => {
    expect(keys(decide(labels, routers, policy))).toEqual(expected);
    // the router's hot path decides the same, in the same order
    expect(keys(decide(labels, routers, policy, { explain: 'mutes' }))).toEqual(expected);
  });

  it("explain 'mutes' keeps exactly the steps that muted the alert for a receiver", () => {
    const labels = { alertname: 'Noisy', namespace: 'team-a' };
    const routers = [router('r', { receivers: { name: ['g2'] } }), router('leak', { receivers: { regexName: '^b1$', type: 'webhook' } })];
    const full = decide(labels, routers);
    const mutes = decide(labels, routers, 'All', { explain: 'mutes' });
    expect(full.explain.map((s) => s.kind)).toEqual(expect.arrayContaining(['tenants', 'routers', 'router-receivers', 'cross-tenant', 'policy']));
    expect(mutes.explain).toEqual(full.explain.filter((s) => s.kind === 'silenced' || s.kind === 'inhibited' || s.kind === 'filtered'));
    expect(mutes.explain.map((s) => s.kind)).toEqual(['silenced', 'filtered', 'silenced', 'silenced']);
    expect(keys(mutes)).toEqual(keys(full));
  });

  it('channels[] to team-b slack is muted by team-b silence and says so', () => {
    const d = decide({ alertname: 'X' }, [router('r', { receivers: { channels: [{ tenant: 'team-b', type: ['Slack'] }] } })], 'RouterOnly');
    expect(d.explain).toContainEqual({ kind: 'silenced', receiver: { name: 'b1', channel: 'slack', tenant: 'team-b' }, silences: ['b-all'] });
    // the type filter (case-insensitive) kept b1's webhook section out
    expect(d.explain.filter((s) => s.kind === 'silenced').map((s) => (s.kind === 'silenced' ? `${s.receiver.channel}/${s.receiver.name}` : ''))).toEqual(['slack/b1']);
  });

  it('records a cross-tenant delivery made by a Router', () => {
    const d = decide({ alertname: 'X', namespace: 'team-a' }, [router('to-c', { receivers: { name: ['d1', 'a1'] } }), router('leak', { receivers: { name: ['g1'], regexName: '^b1$', type: 'webhook' } })]);
    // b1 is silenced by b-all, but the cross-tenant target is still made explicit.
    expect(d.explain.filter((s) => s.kind === 'cross-tenant')).toEqual([
      { kind: 'cross-tenant', router: 'leak', receiver: { name: 'b1', channel: 'webhook', tenant: 'team-b' }, alertTenants: ['team-a'] },
    ]);
  });

  it('explains tenants, routers, policy, silences and filters', () => {
    const d = decide({ alertname: 'Noisy', namespace: 'team-a' }, [router('r', { receivers: { name: ['g2'] } })]);
    expect(d.explain).toEqual([
      { kind: 'tenants', cluster: 'default', namespace: 'team-a', tenants: ['team-a'], source: 'namespace' },
      { kind: 'routers', matched: ['r'] },
      { kind: 'router-receivers', router: 'r', receivers: [{ name: 'g2', channel: 'email', tenant: GLOBAL_TENANT }] },
      { kind: 'policy', policy: 'All', namespaceReceivers: true, reason: expect.any(String) },
      { kind: 'filtered', receiver: { name: 'g2', channel: 'email', tenant: GLOBAL_TENANT }, reason: 'disabled' },
      { kind: 'silenced', receiver: { name: 'a1', channel: 'webhook', tenant: 'team-a' }, silences: ['a-noisy'] },
      { kind: 'silenced', receiver: { name: 'a2', channel: 'slack', tenant: 'team-a' }, silences: ['a-noisy'] },
    ]);
    expect(keys(d)).toEqual(['webhook/g1']);
  });

  it('applies tenant silences only while active', () => {
    const index = buildRoutingIndex(
      snapshot({
        notificationManager: nm({ timeZone: 'Asia/Shanghai' }),
        receivers,
        silences: [silence('a-night', tenant('team-a'), { schedule: '0 22 * * *', duration: '8h' })],
      }),
    );
    const labels = { alertname: 'X', namespace: 'team-a' };
    expect(routeAlert({ labels }, index, { now: new Date('2024-01-01T15:00:00Z') }).receivers.map(receiverKey)).toEqual(['webhook/g1']);
    expect(routeAlert({ labels }, index, { now: new Date('2024-01-01T23:00:00Z') }).receivers.map(receiverKey)).toEqual(['webhook/g1', 'webhook/a1']);
  });
});

describe('routeAlert with tenantKey user', () => {
  const userReceivers = [
    receiver('g', global),
    receiver('alice-r', tenant('alice', 'user')),
    receiver('bob-r', tenant('bob', 'user')),
  ];
  const roleBindings: RoleBinding[] = [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'rb', namespace: 'proj' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'viewer' },
      subjects: [{ kind: 'User', name: 'bob' }, { kind: 'ServiceAccount', name: 'alice' }],
    },
  ];
  const index = buildRoutingIndex(snapshot({ notificationManager: nm({}, 'user'), receivers: userReceivers, roleBindings }));
  const route = (labels: Record<string, string>, opts: RouteOptions) => routeAlert({ labels }, index, { now: NOW, ...opts });

  it('uses the lookup with the alert cluster, or this cluster', () => {
    const calls: string[] = [];
    const lookup = (c: string, ns: string) => (calls.push(`${c}/${ns}`), ns === 'proj' ? ['alice'] : []);
    expect(route({ namespace: 'proj', cluster: 'east' }, { tenantsOfNamespace: lookup }).receivers.map((r) => r.name)).toEqual(['g', 'alice-r']);
    expect(route({ namespace: 'other' }, { tenantsOfNamespace: lookup }).receivers.map((r) => r.name)).toEqual(['g']);
    expect(calls).toEqual(['east/proj', 'default/other']);
  });

  it('reaches global receivers only when the lookup fails', () => {
    const d = route({ namespace: 'proj' }, { tenantsOfNamespace: () => undefined });
    expect(d.receivers.map((r) => r.name)).toEqual(['g']);
    expect(d.explain[0]).toEqual({ kind: 'tenants', cluster: 'default', namespace: 'proj', tenants: [], source: 'lookup-failed' });
  });

  it('falls back to RoleBinding users (kind User only) without a lookup', () => {
    expect(route({ namespace: 'proj' }, {}).receivers.map((r) => r.name)).toEqual(['g', 'bob-r']);
  });

  it('ignores pseudo-tenant ids returned by a lookup', () => {
    const d = route({ namespace: 'proj' }, { tenantsOfNamespace: () => [GLOBAL_TENANT, DEFAULT_TENANT, 'bob'] });
    expect(d.explain[0]).toMatchObject({ tenants: ['bob'] });
  });
});
