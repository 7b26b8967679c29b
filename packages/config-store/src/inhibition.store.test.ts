import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { Alert } from '@nm/contracts';
import { fingerprint, type InhibitRule } from '@nm/model';
import { startRedis, type PrivateRedis } from '@nm/testing';
import { InhibitionStore } from './inhibition.store.js';

const rule = (name: string, equal: string[], both = false): InhibitRule =>
  ({
    apiVersion: 'notification.kubesphere.io/v2beta2',
    kind: 'InhibitRule',
    metadata: { name, labels: { type: 'global' } },
    spec: {
      sourceSelector: { matchLabels: both ? { severity: 'critical' } : { alertname: 'NodeDown' } },
      targetSelector: both ? { matchLabels: { severity: 'critical' } } : { matchExpressions: [{ key: 'pod', operator: 'Exists' }] },
      equal,
    },
  }) as unknown as InhibitRule;

const alert = (labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing', endsAt = '0001-01-01T00:00:00Z'): Alert => ({
  id: Math.random().toString(36).slice(2),
  status,
  labels,
  annotations: {},
  startsAt: '2026-11-22T00:00:00Z',
  endsAt,
  fingerprint: fingerprint(labels),
  receivedAt: '2026-11-22T00:00:00Z',
});

describe('InhibitionStore (shared through redis)', () => {
  let redis: PrivateRedis;
  let c1: Redis;
  let c2: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    c1 = new Redis(redis.url);
    c2 = new Redis(redis.url);
  });
  afterAll(async () => {
    c1.disconnect();
    c2.disconnect();
    await redis.stop();
  });

  it('a firing source recorded by one replica inhibits targets with equal labels on another, until it resolves', async () => {
    const rules = [rule('node-down', ['node'])];
    const a = new InhibitionStore(c1, 60_000);
    const b = new InhibitionStore(c2, 60_000);
    const now = Date.now();
    await a.recordSources([alert({ alertname: 'NodeDown', node: 'n1' })], rules, now);
    const targets = [alert({ alertname: 'PodDown', pod: 'p', node: 'n1' }), alert({ alertname: 'PodDown', pod: 'p', node: 'n2' }), alert({ alertname: 'PodDown', pod: 'q' })];
    expect(await b.inhibitedBy(targets, rules, now)).toEqual([['node-down'], [], []]);
    await b.recordSources([alert({ alertname: 'NodeDown', node: 'n1' }, 'resolved')], rules, now);
    expect(await a.inhibitedBy(targets, rules, now)).toEqual([[], [], []]);
  });

  it('missing equal labels count as empty; expired sources stop inhibiting', async () => {
    const rules = [rule('by-zone', ['zone'])];
    const s = new InhibitionStore(c1, 1000);
    const now = Date.now();
    await s.recordSources([alert({ alertname: 'NodeDown', node: 'x' })], rules, now);
    expect(await s.inhibitedBy([alert({ alertname: 'P', pod: 'p' })], rules, now)).toEqual([['by-zone']]);
    expect(await s.inhibitedBy([alert({ alertname: 'P', pod: 'p' })], rules, now + 1500)).toEqual([[]]);
  });

  it('an alert matching both sides is not inhibited by itself or by another alert matching both sides', async () => {
    const rules = [rule('crit', ['cluster'], true)];
    const s = new InhibitionStore(c1, 60_000);
    const now = Date.now();
    const x = alert({ alertname: 'X', severity: 'critical', cluster: 'c' });
    const y = alert({ alertname: 'Y', severity: 'critical', cluster: 'c' });
    await s.recordSources([x, y], rules, now);
    expect(await s.inhibitedBy([x, y], rules, now)).toEqual([[], []]);
  });

  it('uses a future endsAt as the lease of the source', async () => {
    const rules = [rule('lease', ['node'])];
    const s = new InhibitionStore(c1, 10);
    const now = Date.now();
    await s.recordSources([alert({ alertname: 'NodeDown', node: 'n9' }, 'firing', new Date(now + 5000).toISOString())], rules, now);
    const t = [alert({ alertname: 'P', pod: 'p', node: 'n9' })];
    expect(await s.inhibitedBy(t, rules, now + 1000)).toEqual([['lease']]);
    expect(await s.inhibitedBy(t, rules, now + 6000)).toEqual([[]]);
  });
});
