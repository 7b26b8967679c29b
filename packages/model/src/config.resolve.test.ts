import { describe, expect, it } from '@jest/globals';
import { buildConfigIndex, configPriority, resolveConfig } from './config.resolve.js';
import { effectiveSettings } from './snapshot.js';
import { config, deflt, global, nm, receiver, snapshot, tenant } from './test-support/builders.js';

const slackReceiver = (name: string, labels: Record<string, string>, selector?: Record<string, string>) =>
  receiver(name, labels, { slack: { channels: ['#a'], ...(selector ? { slackConfigSelector: { matchLabels: selector } } : {}) } });

describe('resolveConfig', () => {
  const configs = [
    config('default-b', { ...deflt, priority: '5' }),
    config('default-a', { ...deflt, priority: '5' }),
    config('default-low', { ...deflt, tier: 'gold' }),
    config('default-email-only', deflt, { email: { from: 'a@b.c', smartHost: { host: 'h', port: 25 } } }),
    config('a-own-1', { ...tenant('team-a'), priority: '3' }),
    config('a-own-2', { ...tenant('team-a'), priority: '1', tier: 'gold' }),
    config('b-own', tenant('team-b')),
    config('global-config', global),
  ];
  const snap = snapshot({ notificationManager: nm(), configs });

  it.each<[string, ReturnType<typeof receiver>, string | undefined]>([
    ['tenant receiver picks its own lowest priority', slackReceiver('r', tenant('team-a')), 'a-own-2'],
    ['tenant receiver selector filters own configs', slackReceiver('r', tenant('team-a'), { tier: 'silver' }), 'default-a'],
    ['tenant selector matching one own config', slackReceiver('r', tenant('team-a'), { tier: 'gold' }), 'a-own-2'],
    ['tenant without own config falls back to default, ties by name', slackReceiver('r', tenant('team-c')), 'default-a'],
    ['fallback ignores the selector', slackReceiver('r', tenant('team-c'), { tier: 'nothing' }), 'default-a'],
    ['tenant never sees another tenant config', slackReceiver('r', tenant('team-b')), 'b-own'],
    ['global receiver uses default configs only', slackReceiver('r', global), 'default-a'],
    ['global receiver filters defaults by selector', slackReceiver('r', global, { tier: 'gold' }), 'default-low'],
    ['global receiver with selector matching nothing gets none', slackReceiver('r', global, { tier: 'none' }), undefined],
    ['default-classified receiver uses default configs', slackReceiver('r', deflt), 'default-a'],
    ['unclassified receiver gets none', slackReceiver('r', {}), undefined],
  ])('%s', (_n, r, expected) => {
    expect(resolveConfig(r, 'slack', snap)?.metadata.name).toBe(expected);
  });

  it('only considers Configs with a section for the channel', () => {
    const r = receiver('r', tenant('team-a'), { email: { to: ['x@y.z'] } });
    expect(resolveConfig(r, 'email', snap)?.metadata.name).toBe('default-email-only');
  });

  it('returns undefined for a channel the receiver lacks', () => {
    expect(resolveConfig(slackReceiver('r', global), 'email', snap)).toBeUndefined();
  });

  it('accepts a prebuilt index', () => {
    const index = buildConfigIndex(configs, effectiveSettings(nm()));
    expect(resolveConfig(slackReceiver('r', tenant('team-a')), 'slack', index)?.metadata.name).toBe('a-own-2');
    expect(resolveConfig(slackReceiver('r', tenant('team-a')), 'slack', { configs: index })?.metadata.name).toBe('a-own-2');
  });

  it.each<[string | undefined, number]>([
    ['1', 1],
    ['-3', -3],
    ['+7', 7],
    [undefined, 2147483646],
    ['high', 2147483646],
    ['1.5', 2147483646],
    ['', 2147483646],
  ])('priority label %p → %p', (p, expected) => {
    expect(configPriority(config('c', p === undefined ? {} : { priority: p }))).toBe(expected);
  });

  it('an invalid priority loses against a valid large one', () => {
    const s = snapshot({ configs: [config('a', { ...deflt, priority: 'x' }), config('b', { ...deflt, priority: '999999' })] });
    expect(resolveConfig(slackReceiver('r', global), 'slack', s)?.metadata.name).toBe('b');
  });
});
