import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { startRedis, type PrivateRedis } from '@nm/testing';
import { groupDigest, publishedEntry, redisPublishedLog } from './published.log.js';

describe('published log in a real redis-server', () => {
  let server: PrivateRedis;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('records the pairs of every contributing message in one command, keeps them until forgotten, with a TTL', async () => {
    const log = redisPublishedLog(redis, 60_000);
    const big = Array.from({ length: 2500 }, (_, i) => publishedEntry('tenant\u0000g1', `big-${i}`)); // more than one unpack chunk
    await log.record(
      new Map([
        ['m1', [publishedEntry('tenant\u0000g1', 'a1'), publishedEntry('tenant\u0000g2', 'a2')]],
        ['m2', big],
        ['m3', []],
      ]),
    );
    await log.record(new Map([['m1', [publishedEntry('tenant\u0000g1', 'a3')]]]));
    expect([...(await log.published('m1'))].sort()).toEqual(
      [`${groupDigest('tenant\u0000g1')}:a1`, `${groupDigest('tenant\u0000g2')}:a2`, `${groupDigest('tenant\u0000g1')}:a3`].sort(),
    );
    expect((await log.published('m2')).size).toBe(2500);
    expect((await log.published('m3')).size).toBe(0);
    const ttl = await redis.pttl('nm:agg:published:m1');
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await log.forget('m1');
    expect((await log.published('m1')).size).toBe(0);
    expect((await log.published('m2')).size).toBe(2500);
  });

  it('records nothing (and sends nothing) for no entries', async () => {
    const log = redisPublishedLog(redis);
    await log.record(new Map());
    await log.record(new Map([['m9', []]]));
    expect(await redis.exists('nm:agg:published:m9')).toBe(0);
  });
});
