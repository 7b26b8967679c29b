import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { NotificationSchema, PAYLOAD_VERSION, ZERO_TIME, type Alert, type Notification, type RoutedBatch } from '@nm/contracts';
import type { Publisher } from '@nm/bus';
import { fingerprint } from '@nm/model';
import { startRedis, type PrivateRedis } from '@nm/testing';
import { createLogger, Metrics } from '@nm/telemetry';
import { GroupState } from './group.state.js';
import { PartitionLeases } from './partition.leases.js';
import { StatefulAggregator, type StatefulSettings } from './stateful.aggregator.js';

const logger = createLogger('t', 'silent');
const T0 = Date.parse('2026-12-01T10:00:00Z');
const S = 1000;
const iso = (ms: number): string => new Date(ms).toISOString();

let seq = 0;
const alert = (name: string, o: Partial<Alert> = {}, at = T0): Alert => {
  const labels = { alertname: 'Grp', instance: name, namespace: 'ns' };
  return { id: `id${++seq}`, status: 'firing', labels, annotations: {}, startsAt: iso(at), endsAt: ZERO_TIME, fingerprint: fingerprint(labels), receivedAt: iso(at), ...o };
};
const routed = (alerts: Alert[]): RoutedBatch => ({
  version: PAYLOAD_VERSION,
  batchId: `b${++seq}`,
  chunk: { index: 0, count: 1 },
  source: 'alerts-array',
  receivedAt: iso(T0),
  receivers: [{ name: 'r', channel: 'webhook', tenant: 'ns' }],
  routes: alerts.map((a) => ({ alert: a, receivers: [0] })),
});

describe('stateful aggregation on Redis, with an injected clock', () => {
  let redisServer: PrivateRedis;
  let redis: Redis;
  let now = T0;
  const published: Notification[] = [];
  const publisher: Publisher = {
    publish: (_s, p, o) => {
      const n = NotificationSchema.parse(p);
      expect(o.msgId).toBe(n.id);
      if (!published.some((x) => x.id === n.id)) published.push(n); // JetStream drops a repeated id
      return Promise.resolve({ seq: published.length, duplicate: false });
    },
  };
  let settings: StatefulSettings;
  const instances: Array<{ agg: StatefulAggregator; leases: PartitionLeases; state: GroupState }> = [];

  const make = async (instance: string, leaseMs = 10_000): Promise<(typeof instances)[number]> => {
    const state = new GroupState(redis);
    const leases = new PartitionLeases(redis, { partitions: 8, leaseMs, instance }, logger, () => now);
    await leases.round();
    const agg = new StatefulAggregator(
      { state, leases, publisher, settings: () => settings, mutedAt: () => Promise.resolve(new Set()), logger, metrics: new Metrics(instance), now: () => now },
      { partitions: 8, tickMs: 1_000_000 },
    );
    const i = { agg, leases, state };
    instances.push(i);
    return i;
  };
  /** Advances the clock step by step to `to`, ticking every instance at each step. */
  const advance = async (to: number, step = 250): Promise<void> => {
    while (now < to) {
      now = Math.min(to, now + step);
      for (const i of instances) await i.agg.tick();
    }
  };
  const sent = (): Array<Array<[string, string]>> =>
    published.map((n) => n.alerts.map((a) => [a.labels.instance!, a.status] as [string, string]).sort((a, b) => a[0].localeCompare(b[0])));

  beforeAll(async () => {
    redisServer = await startRedis();
    redis = new Redis(redisServer.url);
  });
  afterAll(async () => {
    for (const i of instances) i.state.close();
    redis.disconnect();
    await redisServer.stop();
  });
  beforeEach(async () => {
    await redis.flushall();
    for (const i of instances.splice(0)) i.state.close();
    published.length = 0;
    now = T0;
    settings = { groupLabels: ['alertname'], groupWaitMs: 2 * S, groupIntervalMs: 5 * S, repeatIntervalMs: 30 * S, resolveTimeoutMs: 60 * S, sendResolved: true, batchMaxSize: 100 };
  });

  it('batches alerts arriving during groupWait; a new alert waits for the next interval tick; repeat after repeatInterval', async () => {
    const { agg } = await make('a');
    await agg.add(routed([alert('1', {}, now)]));
    await advance(T0 + 1 * S);
    await agg.add(routed([alert('2', {}, now)]));
    await advance(T0 + 1.9 * S);
    expect(published).toHaveLength(0);
    await advance(T0 + 2.5 * S); // groupWait from creation
    expect(sent()).toEqual([[['1', 'firing'], ['2', 'firing']]]);
    await agg.add(routed([alert('3', {}, now)]));
    await advance(T0 + 6.5 * S);
    expect(published).toHaveLength(1); // waits for the tick at 2 s + 5 s
    await advance(T0 + 7.5 * S);
    expect(sent()[1]).toEqual([['1', 'firing'], ['2', 'firing'], ['3', 'firing']]);
    // re-sent unchanged: nothing until the repeat interval has passed (evaluated at ticks)
    await agg.add(routed([alert('1', {}, now), alert('2', {}, now), alert('3', {}, now)]));
    await advance(T0 + 37 * S);
    expect(published).toHaveLength(2);
    await advance(T0 + 43 * S);
    expect(published).toHaveLength(3);
    expect(sent()[2]).toEqual(sent()[1]);
  });

  it('flushes at once a group whose first alert is older than groupWait', async () => {
    const { agg } = await make('a');
    await agg.add(routed([alert('old', {}, T0 - 60 * S)]));
    await advance(T0 + 250);
    expect(sent()).toEqual([[['old', 'firing']]]);
  });

  it('sends resolved alerts once with sendResolved, then destroys the group; a new firing starts a new group', async () => {
    const { agg } = await make('a');
    await agg.add(routed([alert('1', {}, now), alert('2', {}, now)]));
    await advance(T0 + 2.5 * S);
    await agg.add(routed([alert('2', { status: 'resolved', endsAt: iso(now) }, now)]));
    await advance(T0 + 7.5 * S);
    expect(sent()[1]).toEqual([['1', 'firing'], ['2', 'resolved']]);
    await advance(T0 + 12.5 * S);
    expect(published).toHaveLength(2); // resolved alert left the group; nothing new
    await agg.add(routed([alert('1', { status: 'resolved', endsAt: iso(now) }, now)]));
    await advance(T0 + 17.5 * S);
    expect(sent()[2]).toEqual([['1', 'resolved']]);
    expect(await redis.keys('nm:agg:g:*')).toEqual([]); // destroyed
    // fires again: a new group with its own groupWait
    await agg.add(routed([alert('1', {}, now)]));
    await advance(now + 1.5 * S);
    expect(published).toHaveLength(3);
    await advance(now + 1 * S);
    expect(sent()[3]).toEqual([['1', 'firing']]);
  });

  it('without sendResolved, resolved alerts are not notified (the log still clears them)', async () => {
    settings = { ...settings, sendResolved: false };
    const { agg } = await make('a');
    await agg.add(routed([alert('1', {}, now), alert('2', {}, now)]));
    await advance(T0 + 2.5 * S);
    await agg.add(routed([alert('2', { status: 'resolved', endsAt: iso(now) }, now)]));
    await agg.add(routed([alert('1', { status: 'resolved', endsAt: iso(now) }, now)]));
    await advance(T0 + 12.5 * S);
    expect(sent()).toEqual([[['1', 'firing'], ['2', 'firing']]]);
    expect(await redis.keys('nm:agg:g:*')).toEqual([]);
  });

  it('resolves an alert posted without endsAt after resolveTimeout', async () => {
    settings = { ...settings, resolveTimeoutMs: 6 * S };
    const { agg } = await make('a');
    await agg.add(routed([alert('1', {}, now)]));
    await advance(T0 + 2.5 * S);
    expect(sent()).toEqual([[['1', 'firing']]]);
    await advance(T0 + 12.5 * S); // lease ended at 6 s; tick at 7 s notifies it resolved
    expect(sent()[1]).toEqual([['1', 'resolved']]);
    expect(published[1]!.alerts[0]!.endsAt).toBe(iso(T0 + 6 * S));
  });

  it('survives a restart: a new process flushes the stored group once, and does not re-notify an unchanged group', async () => {
    const first = await make('a', 600);
    await first.agg.add(routed([alert('1', {}, now)]));
    await advance(T0 + 1 * S);
    // process "a" dies (no stop, no release); "b" starts
    instances.splice(0, 1);
    first.state.close();
    const b = await make('b', 600);
    await advance(T0 + 2.5 * S);
    expect(published).toHaveLength(0); // the partition is still leased to the dead "a"
    await advance(T0 + 4.5 * S, 500);
    await new Promise((r) => setTimeout(r, 700)); // Redis expires leases in real time
    await b.leases.round(); // "a"'s lease has lapsed: "b" owns every partition
    await advance(T0 + 5 * S);
    expect(sent()).toEqual([[['1', 'firing']]]);
    await b.agg.add(routed([alert('1', {}, now)]));
    await advance(T0 + 20 * S);
    expect(published).toHaveLength(1);
  });

  it('two replicas divide the partitions and notify every group exactly once', async () => {
    const a = await make('a');
    const b = await make('b');
    await a.leases.round();
    await b.leases.round();
    await a.leases.round();
    const owned = [...a.leases.mine(), ...b.leases.mine()].sort((x, y) => x - y);
    expect(owned).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(a.leases.mine().length).toBeGreaterThan(0);
    expect(b.leases.mine().length).toBeGreaterThan(0);
    const receivers = Array.from({ length: 20 }, (_, i) => ({ name: `r${i}`, channel: 'webhook' as const, tenant: `t${i}` }));
    const batch: RoutedBatch = { ...routed([alert('x', {}, now)]), receivers, routes: [{ alert: alert('x', {}, now), receivers: receivers.map((_, i) => i) }] };
    await a.agg.add(batch);
    await advance(T0 + 3 * S);
    expect(published.map((n) => n.receiver.name).sort()).toEqual(receivers.map((r) => r.name).sort());
  });
});

describe('aggregation mode', () => {
  it('auto: webhook payloads batch, raw arrays stateful; a setting forces either', async () => {
    const { aggregationModeOf } = await import('../mode.js');
    expect(aggregationModeOf('auto', 'alertmanager-webhook')).toBe('batch');
    expect(aggregationModeOf('auto', 'alerts-array')).toBe('stateful');
    expect(aggregationModeOf('auto', 'api')).toBe('batch');
    expect(aggregationModeOf('batch', 'alerts-array')).toBe('batch');
    expect(aggregationModeOf('stateful', 'alertmanager-webhook')).toBe('stateful');
  });
});

describe('partitionOf', () => {
  it('spreads similarly named receivers over the partitions', async () => {
    const { partitionOf } = await import('./group.state.js');
    const used = new Set(Array.from({ length: 12 }, (_, i) => partitionOf({ name: `r-ns-${String(i).padStart(2, '0')}`, channel: 'webhook', tenant: `ns-${i}` }, 32)));
    expect(used.size).toBeGreaterThanOrEqual(8);
    const all = new Set(Array.from({ length: 2000 }, (_, i) => partitionOf({ name: `r${i}`, channel: 'webhook', tenant: 't' }, 32)));
    expect(all.size).toBe(32);
  });
});
