import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { HistoryRecord } from '@nm/contracts';
import { startRedis, type PrivateRedis } from '@nm/testing';
import { Redis } from 'ioredis';
import { DeliveredStore, deliveredKeys } from './delivered.store.js';

const record = (key: string): HistoryRecord => ({
  version: 1,
  notificationId: 'n1',
  time: '2024-05-14T10:00:00.000Z',
  tenant: 't',
  receiver: 'r',
  channel: 'webhook',
  destination: key,
  alertIds: ['a1'],
  fingerprints: ['0000000000000001'],
  result: 'delivered',
  attempt: 1,
});

describe('DeliveredStore on a real redis', () => {
  let server: PrivateRedis;
  let redis: Redis;
  let store: DeliveredStore;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });
  beforeEach(async () => {
    await redis.flushall();
    store = new DeliveredStore(redis, 3600, 5000);
  });

  it('lets exactly one caller claim a notification and tells the others how long to wait', async () => {
    const claims = await Promise.all(['t1', 't2', 't3'].map((t) => store.claim('n1', t)));
    expect(claims.filter((c) => c.state === 'claimed')).toHaveLength(1);
    const busy = claims.filter((c) => c.state === 'busy');
    expect(busy).toHaveLength(2);
    for (const b of busy) expect(b.state === 'busy' && b.retryInMs).toBeGreaterThan(4000);
    const pttl = await redis.pttl(deliveredKeys.done('n1'));
    expect(pttl).toBeLessThanOrEqual(5000);
    expect(pttl).toBeGreaterThan(4000);
  });

  it('gives a released notification back, with the units and pending history of earlier attempts', async () => {
    expect(await store.claim('n1', 't1')).toMatchObject({ state: 'claimed' });
    await store.markUnits('n1', [
      { key: 'webhook#0/2', record: record('first') },
      { key: 'webhook#1/2', record: record('second') },
    ]);
    await store.historyPublished('n1', ['webhook#0/2']);
    await store.release('n1', 'someone-else');
    expect(await store.claim('n1', 't2')).toEqual({ state: 'busy', retryInMs: expect.any(Number) });
    await store.release('n1', 't1');
    const again = await store.claim('n1', 't2');
    expect(again).toEqual({
      state: 'claimed',
      token: 't2',
      deliveredKeys: new Set(['webhook#0/2', 'webhook#1/2']),
      pendingHistory: [{ key: 'webhook#1/2', record: record('second') }],
    });
    expect(await redis.ttl(deliveredKeys.units('n1'))).toBeGreaterThan(3500);
  });

  it('remembers a delivered notification for the TTL and drops its unit state', async () => {
    await store.claim('n1', 't1');
    await store.markUnits('n1', [{ key: 'u', record: record('u') }]);
    await store.markDone('n1');
    expect(await store.claim('n1', 't2')).toEqual({ state: 'done' });
    expect(await redis.get(deliveredKeys.done('n1'))).toBe('1');
    const ttl = await redis.ttl(deliveredKeys.done('n1'));
    expect(ttl).toBeGreaterThan(3590);
    expect(ttl).toBeLessThanOrEqual(3600);
    expect(await redis.exists(deliveredKeys.units('n1'), deliveredKeys.history('n1'))).toBe(0);
  });

  it('renews only a lease it holds', async () => {
    await store.claim('n1', 't1');
    await redis.pexpire(deliveredKeys.done('n1'), 1000);
    expect(await store.renew('n1', 't2')).toBe(false);
    const untouched = await redis.pttl(deliveredKeys.done('n1'));
    expect(untouched).toBeLessThanOrEqual(1000);
    expect(untouched).toBeGreaterThan(0);
    expect(await store.renew('n1', 't1')).toBe(true);
    expect(await redis.pttl(deliveredKeys.done('n1'))).toBeGreaterThan(4000);
  });
});
