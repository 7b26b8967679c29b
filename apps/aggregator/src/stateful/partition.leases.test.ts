import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { startRedis, type PrivateRedis } from '@nm/testing';
import { createLogger, Metrics } from '@nm/telemetry';
import { PartitionLeases } from './partition.leases.js';

const logger = createLogger('t', 'silent');

describe('partition leases on Redis', () => {
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
  beforeEach(async () => {
    await redis.flushall();
  });

  it('a replica whose rounds stall stops acting on its partitions before Redis lets the leases go to another', async () => {
    let clock = 0;
    const a = new PartitionLeases(redis, { partitions: 4, leaseMs: 1000, instance: 'a' }, logger, Date.now, () => clock);
    await a.round();
    expect([...a.mine()].sort()).toEqual([0, 1, 2, 3]);
    // a's event loop stalls: no round for 0.85 s. Redis still holds its leases (1 s), but a's
    // margin (a fifth of the lease) is spent: it must not flush now, another replica may own them by the time it writes.
    clock = 850;
    expect(a.mine()).toEqual([]);
    expect(a.owns(0)).toBe(false);
    expect(await redis.get('nm:agg:lease:0')).toBe('a');
    // a renewal that succeeds gives them back
    await a.round();
    expect([...a.mine()].sort()).toEqual([0, 1, 2, 3]);
    expect(a.owns(2)).toBe(true);
  });

  it('a lease that expired and was taken by another replica is lost, and each loss is noticed once', async () => {
    const warned: unknown[] = [];
    const spy = createLogger('t', 'warn', { write: (line: string) => void warned.push(JSON.parse(line)) });
    const metrics = new Metrics('a');
    const a = new PartitionLeases(redis, { partitions: 4, leaseMs: 300, instance: 'a', metrics }, spy);
    await a.round();
    expect(a.mine()).toHaveLength(4);
    await new Promise((r) => setTimeout(r, 400)); // a stalled past its lease
    expect(a.mine()).toEqual([]);
    const b = new PartitionLeases(redis, { partitions: 4, leaseMs: 300, instance: 'b' }, logger);
    await b.round();
    expect([...b.mine()].sort()).toEqual([0, 1, 2, 3]);
    await a.round();
    expect(a.mine()).toEqual([]);
    expect(warned.filter((w) => (w as { msg: string }).msg === 'partition lease lost')).toHaveLength(4);
    const text = (await metrics.exposition()).body;
    expect(text).toMatch(/^nm_aggregator_partition_leases_lost_total 4$/m);
    expect(text).toMatch(/^nm_aggregator_partitions_owned 0$/m);
    expect(await redis.mget('nm:agg:lease:0', 'nm:agg:lease:1', 'nm:agg:lease:2', 'nm:agg:lease:3')).toEqual(['b', 'b', 'b', 'b']);
  });

  it('a round costs the same few commands however many partitions there are', async () => {
    const commands = async (): Promise<number> => {
      const info = await redis.info('commandstats');
      let n = 0;
      for (const m of info.matchAll(/^cmdstat_(eval|evalsha|multi|exec|zadd|zremrangebyscore|zcard|set|get|pexpire):calls=(\d+)/gm)) {
        if (!['set', 'get', 'pexpire'].includes(m[1]!)) n += Number(m[2]);
      }
      return n;
    };
    const few = new PartitionLeases(redis, { partitions: 2, leaseMs: 5000, instance: 'x' }, logger);
    const many = new PartitionLeases(redis, { partitions: 64, leaseMs: 5000, instance: 'y' }, logger);
    const c0 = await commands();
    await few.round();
    await few.round();
    const c1 = await commands();
    await redis.flushall();
    const c2 = await commands();
    await many.round();
    await many.round();
    const c3 = await commands();
    expect(c3 - c2).toBe(c1 - c0);
    expect(many.mine()).toHaveLength(64);
  });
});
