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

  const calls = async (cmd: string): Promise<number> => {
    const info = await redis.info('commandstats');
    return Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  };

  it('writes the records of one turn in one script call, one SADD per message, and settles every caller after it', async () => {
    const log = redisPublishedLog(redis, 60_000);
    await log.record(new Map([['warm', ['x']]])); // the script is loaded: later calls are one EVALSHA each
    const [evals, sadds] = [await calls('evalsha'), await calls('sadd')];
    // three flushes completing in the same turn, two of them fed by message t1
    const settled: string[] = [];
    const writes = [
      log.record(new Map([['t1', ['g1:a1']], ['t2', ['g1:b1']]])).then(() => settled.push('first')),
      log.record(new Map([['t1', ['g2:a2']]])).then(() => settled.push('second')),
      log.record(new Map([['t3', ['g3:c1']], ['t4', []]])).then(() => settled.push('third')),
    ];
    expect(await redis.exists('nm:agg:published:t1')).toBe(0); // not written before the turn ends
    await Promise.all(writes);
    expect(settled.sort()).toEqual(['first', 'second', 'third']);
    expect([...(await log.published('t1'))].sort()).toEqual(['g1:a1', 'g2:a2']);
    expect([...(await log.published('t2'))]).toEqual(['g1:b1']);
    expect([...(await log.published('t3'))]).toEqual(['g3:c1']);
    expect(await redis.exists('nm:agg:published:t4')).toBe(0);
    expect(await calls('evalsha')).toBe(evals + 1);
    expect(await calls('sadd')).toBe(sadds + 3);
  });

  it('a lookup made before the turn ends finds the records not yet written', async () => {
    const log = redisPublishedLog(redis, 60_000);
    const recording = log.record(new Map([['early', ['g1:a1', 'g1:a2']]]));
    const found = await log.published('early');
    await recording;
    expect([...found].sort()).toEqual(['g1:a1', 'g1:a2']);
    expect([...(await log.published('early'))].sort()).toEqual(['g1:a1', 'g1:a2']);
  });

  it('starts another call once a batch is full, and stores both', async () => {
    const log = redisPublishedLog(redis, 60_000);
    await log.record(new Map([['warm', ['x']]]));
    const evals = await calls('evalsha');
    const many = (p: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${p}${i}`);
    await Promise.all([log.record(new Map([['f1', many('a', 15_000)]])), log.record(new Map([['f2', many('b', 15_000)]])), log.record(new Map([['f3', many('c', 10)]]))]);
    expect(await calls('evalsha')).toBe(evals + 2);
    expect((await log.published('f1')).size).toBe(15_000);
    expect((await log.published('f2')).size).toBe(15_000);
    expect((await log.published('f3')).size).toBe(10);
  });

  it('forgets the messages of one turn in one DEL', async () => {
    const log = redisPublishedLog(redis, 60_000);
    await log.record(new Map([['d1', ['x']], ['d2', ['y']], ['d3', ['z']]]));
    const dels = await calls('del');
    await Promise.all([log.forget('d1'), log.forget('d2')]);
    expect(await calls('del')).toBe(dels + 1);
    expect(await redis.exists('nm:agg:published:d1', 'nm:agg:published:d2')).toBe(0);
    expect(await redis.exists('nm:agg:published:d3')).toBe(1);
  });

  it('rejects every caller of a batch that could not be written', async () => {
    const closed = new Redis(server.url, { lazyConnect: true, enableOfflineQueue: false });
    const log = redisPublishedLog(closed, 60_000);
    const results = await Promise.allSettled([log.record(new Map([['r1', ['a']]])), log.record(new Map([['r2', ['b']]]))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await redis.exists('nm:agg:published:r1', 'nm:agg:published:r2')).toBe(0);
    closed.disconnect();
  });

  it('records nothing (and sends nothing) for no entries', async () => {
    const log = redisPublishedLog(redis);
    await log.record(new Map());
    await log.record(new Map([['m9', []]]));
    expect(await redis.exists('nm:agg:published:m9')).toBe(0);
  });
});
