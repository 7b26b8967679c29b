import { describe, expect, it } from '@jest/globals';
import { DEFAULT_TENANT, GLOBAL_TENANT } from '@nm/contracts';
import { classify, tenantIdOf, type Classification } from './classify.js';
import { effectiveSettings } from './snapshot.js';
import { nm } from './test-support/builders.js';

describe('classify', () => {
  const ns = effectiveSettings(nm({}, 'namespace'));
  const user = effectiveSettings(nm({}, 'user'));
  it.each<[string, Record<string, string> | undefined, ReturnType<typeof effectiveSettings>, Classification | undefined]>([
    ['global', { type: 'global' }, ns, { scope: 'global' }],
    ['global wins over tenant labels', { type: 'global', namespace: 'a' }, ns, { scope: 'global' }],
    ['tenant by namespace', { type: 'tenant', namespace: 'team-a' }, ns, { scope: 'tenant', tenant: 'team-a' }],
    ['tenant by user', { type: 'tenant', user: 'alice' }, user, { scope: 'tenant', tenant: 'alice' }],
    ['tenant label missing the tenantKey is not tenant', { type: 'tenant', user: 'alice' }, ns, undefined],
    ['empty tenant value is not tenant', { type: 'tenant', namespace: '' }, ns, undefined],
    ['default', { type: 'default' }, ns, { scope: 'default' }],
    ['unlabelled is ignored', {}, ns, undefined],
    ['absent labels are ignored', undefined, ns, undefined],
    ['app label alone is ignored', { app: 'notification-manager' }, ns, undefined],
  ])('%s', (_n, labels, settings, expected) => {
    expect(classify(labels, settings)).toEqual(expected);
  });

  it('requires every pair of a multi-pair global selector (upstream ORs them, §12.11)', () => {
    const s = effectiveSettings(nm({ receivers: { tenantKey: 'namespace', globalReceiverSelector: { matchLabels: { type: 'global', team: 'ops' } } } }));
    expect(classify({ team: 'ops' }, s)).toBeUndefined();
    expect(classify({ type: 'global' }, s)).toBeUndefined();
    expect(classify({ type: 'global', team: 'ops' }, s)).toEqual({ scope: 'global' });
  });

  it('treats an empty global selector as matching nothing', () => {
    const s = effectiveSettings(nm({ receivers: { tenantKey: 'namespace', globalReceiverSelector: { matchLabels: {} } } }));
    expect(classify({ type: 'global' }, s)).toBeUndefined();
  });

  it('uses full selector semantics for defaultConfigSelector', () => {
    const s = effectiveSettings(
      nm({ defaultConfigSelector: { matchExpressions: [{ key: 'type', operator: 'In', values: ['default', 'fallback'] }] } }),
    );
    expect(classify({ type: 'fallback' }, s)).toEqual({ scope: 'default' });
  });

  it('has no default scope when a NotificationManager sets no defaultConfigSelector', () => {
    const m = nm();
    delete m.spec.defaultConfigSelector;
    expect(classify({ type: 'default' }, effectiveSettings(m))).toBeUndefined();
  });

  it('maps scopes to tenant ids', () => {
    expect(tenantIdOf({ scope: 'global' })).toBe(GLOBAL_TENANT);
    expect(tenantIdOf({ scope: 'default' })).toBe(DEFAULT_TENANT);
    expect(tenantIdOf({ scope: 'tenant', tenant: 'x' })).toBe('x');
  });
});

describe('effectiveSettings', () => {
  it('defaults without a NotificationManager (tenantKey namespace, sample selectors)', () => {
    const s = effectiveSettings();
    expect(s).toMatchObject({
      tenantKey: 'namespace',
      groupLabels: ['alertname', 'namespace'],
      batchMaxSize: 100,
      batchMaxWaitMs: 60_000,
      routePolicy: 'All',
      cluster: 'default',
      language: 'English',
      globalReceiverSelector: { matchLabels: { type: 'global' } },
      aggregation: { mode: 'auto', groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000, resolveTimeoutMs: 300_000 },
    });
    expect(s.timeZone).toBeUndefined();
  });
  it('reads every field of a NotificationManager', () => {
    const s = effectiveSettings(
      nm(
        {
          groupLabels: ['alertname'],
          batchMaxSize: 10,
          batchMaxWait: '6s',
          routePolicy: 'RouterOnly',
          timeZone: 'Asia/Shanghai',
          template: { language: 'zh-cn' },
          aggregation: { mode: 'stateful', groupWait: '10s', repeatInterval: 3_600_000_000_000 },
          receivers: { tenantKey: 'user', options: { global: { cluster: 'host' } } },
        },
        'user',
      ),
    );
    expect(s).toMatchObject({
      tenantKey: 'user',
      groupLabels: ['alertname'],
      batchMaxSize: 10,
      batchMaxWaitMs: 6000,
      routePolicy: 'RouterOnly',
      cluster: 'host',
      timeZone: 'Asia/Shanghai',
      language: 'zh-cn',
      aggregation: { mode: 'stateful', groupWaitMs: 10_000, groupIntervalMs: 300_000, repeatIntervalMs: 3_600_000 },
    });
  });
  it('keeps an explicitly empty groupLabels list (one group)', () => {
    expect(effectiveSettings(nm({ groupLabels: [] })).groupLabels).toEqual([]);
  });

  it('answers the same settings for the same NotificationManager object, and new ones for a new object', () => {
    const first = nm({}, 'user');
    const settings = effectiveSettings(first);
    expect(effectiveSettings(first)).toBe(settings);
    const changed = nm({}, 'namespace');
    expect(effectiveSettings(changed).tenantKey).toBe('namespace');
    expect(effectiveSettings(first).tenantKey).toBe('user');
    expect(effectiveSettings(undefined).tenantKey).toBe('namespace');
  });
});
