import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { sleep, startWebhookSink, type WebhookSink } from '@nm/testing';
import { around, reconfigure, Scenario, warmUp, type ScenarioResult } from './support/acceptance.js';
import { docs, notificationManager, webhookReceiver, type AggregationSpec } from './support/manifests.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * Faults of stateful aggregation, timed with the acceptance harness, on one stack with two
 * aggregator replicas: groups and the notification log live in Redis, so each group has one owner
 * (its receiver's partition, leased) and a dead replica's partitions move to the live one once
 * their leases expire; a kill -9 of every replica loses no group and re-sends no unchanged one.
 * The NotificationManager's timing is rewritten between the two tests.
 */

const LEASE_MS = 3000;
const TICK_MS = 200;

function expectPassed(r: ScenarioResult | undefined, stack: Stack, extra: string[] = []): void {
  if (!r) throw new Error('scenario did not run');
  const problems = r.problems.length > 0 ? [...r.problems, ...extra, `aggregator log (tail):\n${stack.logs('aggregator').slice(-6000)}`] : [];
  expect(problems).toEqual([]);
}

const NAMESPACES = Array.from({ length: 12 }, (_, i) => `ns-${String(i).padStart(2, '0')}`);
const PARTITIONS = 32;
const NM_FILE = 'nm.yaml';
const nm = (aggregation: AggregationSpec): string => notificationManager({ groupLabels: ['alertname'], aggregation });

let sink: WebhookSink;
let stack: Stack;
let redis: Redis;

beforeAll(async () => {
  sink = await startWebhookSink();
  stack = await startStack({
    manifests: {
      [NM_FILE]: nm({ mode: 'stateful', groupWait: '1s', groupInterval: '2s', repeatInterval: '1h', sendResolved: true }),
      // one receiver per namespace: groups are partitioned by receiver, so they spread over both replicas
      'r.yaml': docs(
        ...NAMESPACES.map((ns) => webhookReceiver(`r-${ns}`, `${sink.url}/${ns}`, { type: 'tenant', namespace: ns })),
        webhookReceiver('crash', `${sink.url}/crash`, { type: 'tenant', namespace: 'ns-crash' }),
      ),
    },
    replicas: { aggregator: 2 },
    env: {
      ingest: { NM_INGEST_DEDUP_WINDOW: '0' },
      aggregator: { NM_AGGREGATOR_LEASE_MS: String(LEASE_MS), NM_AGGREGATOR_TICK_MS: String(TICK_MS), NM_AGGREGATOR_PARTITIONS: String(PARTITIONS) },
    },
  });
  redis = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await warmUp(stack, sink, { alertname: 'warmup', namespace: 'ns-crash' });
}, 90_000);
afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
  await sink?.close();
});

describe('two aggregator replicas (groupWait 1s, groupInterval 2s, repeatInterval 1h, lease 3s)', () => {
  /** A dead replica's partitions are free once its lease lapses, and taken at the survivor's next lease round (lease / 3); then a tick. */
  const TAKEOVER_BOUND_S = (LEASE_MS + LEASE_MS / 3 + 5 * TICK_MS) / 1000;
  /** Owner (instance) of every partition now. */
  const owners = async (): Promise<Array<string | null>> => redis.mget(...Array.from({ length: PARTITIONS }, (_, p) => `nm:agg:lease:${p}`));
  /** Partitions holding this test's groups (from the stored groups' metadata, `nm:agg:g:<gid>` → `meta`). */
  const usedPartitions = async (): Promise<number[]> => {
    const metas = await Promise.all((await redis.keys('nm:agg:g:*')).map((k) => redis.hget(k, 'meta')));
    const parts = metas.flatMap((m) => {
      const meta = m ? (JSON.parse(m) as { groupKey?: string; partition?: number }) : undefined;
      return meta?.groupKey?.includes('"ha-') && typeof meta.partition === 'number' ? [meta.partition] : [];
    });
    return [...new Set(parts)].sort((a, b) => a - b);
  };

  /*
   * Every group is notified exactly once per change while both replicas run; replica 0 is killed
   * at K = 7; groups created after the kill (h) and changes to old groups (x4) posted at 7.5 are
   * notified by K + TAKEOVER_BOUND_S + groupInterval (+ 1.5 s latency), every one once; at 16 both
   * kinds of group still flush on the next tick (by 16 + groupInterval + 2.5 s latency).
   */
  it('notifies every group exactly once; a killed replica’s groups move to the other within the bound', async () => {
    const K = 7;
    const sc = new Scenario('ha', { stack, sink });
    const g = NAMESPACES.map((ns) => ['1', '2', '3', '4', '5'].map((i) => sc.alert({ alertname: 'ha-g', namespace: ns, instance: i })));
    const h = NAMESPACES.map((ns) => ['1', '2'].map((i) => sc.alert({ alertname: 'ha-h', namespace: ns, instance: i })));
    let before: Array<string | null> = [];
    let used: number[] = [];
    let takeover: Promise<{ killed: string[]; movedAtS: number | undefined }> | undefined;
    const killedAt = { t: 0 };

    sc.push(0, ...g.flatMap(([x1, x2]) => [x1!.active(), x2!.active()]));
    for (const [x1, x2] of g) sc.want(0.3, 2.5, x1!.firing(), x2!.firing());
    sc.push(3.8, ...g.map((x) => x[2]!.active(3.8)));
    for (const [x1, x2, x3] of g) sc.want(...around(5.1), x1!.firing(), x2!.firing(), x3!.firing());

    sc.at(K - 0.3, 'read partition owners', async () => {
      before = await owners();
      used = await usedPartitions();
    });
    sc.at(K, 'kill -9 aggregator replica 0', async () => {
      const membersBefore = await redis.zrange('nm:agg:members', '0', '-1');
      await stack.kill9('aggregator', 0);
      killedAt.t = Date.now();
      // the killed replica is the member that stops announcing; its partitions have moved once
      // none is held by it any more and each has an owner
      takeover = (async () => {
        const deadline = Date.now() + 20_000;
        let movedAtS: number | undefined;
        let killed: string[] = [];
        while (Date.now() < deadline) {
          const members = await redis.zrange('nm:agg:members', '0', '-1');
          killed = membersBefore.filter((m) => !members.includes(m));
          const now = await owners();
          if (killed.length === 1 && now.every((o, p) => o !== null && (before[p] !== killed[0] || o !== killed[0]))) {
            movedAtS = (Date.now() - killedAt.t) / 1000;
            break;
          }
          await sleep(100);
        }
        return { killed, movedAtS };
      })();
    });
    sc.push(7.5, ...h.map((x) => x[0]!.active(7.5)), ...g.map((x) => x[3]!.active(7.5)));
    const late = K + TAKEOVER_BOUND_S + 2 + 1.5;
    // no lower bound past the push: a changed group flushes at its next tick, which can come at once
    for (const [h1] of h) sc.want(7.5, late, h1!.firing());
    for (const [x1, x2, x3, x4] of g) sc.want(7.5, late, x1!.firing(), x2!.firing(), x3!.firing(), x4!.firing());
    sc.push(16, ...h.map((x) => x[1]!.active(16)), ...g.map((x) => x[4]!.active(16)));
    // the next tick after the push: up to a groupInterval after the alerts are stored, plus latency in and out
    for (const [h1, h2] of h) sc.want(16, 16 + 2 + 2.5, h1!.firing(), h2!.firing());
    for (const x of g) sc.want(16, 16 + 2 + 2.5, ...x.map((a) => a.firing()));

    const result = await sc.run(21);
    const moved = await takeover;
    const killed = moved?.killed[0];
    const movedPartitions = used.filter((p) => killed !== undefined && before[p] === killed);
    const summary = [
      `partitions with the test's groups: ${used.join(',')}; owned by the killed replica (${killed ?? '?'}) before the kill: ${movedPartitions.join(',') || 'none'}`,
      `partition owners before the kill: ${before.map((o, p) => `${p}=${o ?? '-'}`).join(' ')}`,
      `every partition of the killed replica had moved ${moved?.movedAtS === undefined ? 'NOT within 20 s' : `${moved.movedAtS.toFixed(2)} s`} after the kill (bound ${TAKEOVER_BOUND_S} s)`,
    ];
    expectPassed(result, stack, summary);
    // the kill mattered: the killed replica owned some of the test's groups
    expect({ killed, movedPartitions: movedPartitions.length > 0 }).toEqual({ killed: expect.any(String), movedPartitions: true });
    expect(moved?.movedAtS).toBeDefined();
    expect(moved!.movedAtS!).toBeLessThanOrEqual(TAKEOVER_BOUND_S + 1.5);
    console.log(summary.join('\n'));
  }, 60_000);
});

describe('kill -9 of every aggregator replica (groupWait 4s, groupInterval 3s, repeatInterval 1h, lease 3s)', () => {
  beforeAll(async () => {
    // replica 0 was killed by the test before: start it again, then change the timing
    stack.start('aggregator', 0);
    await reconfigure(stack, NM_FILE, nm({ mode: 'stateful', groupWait: '4s', groupInterval: '3s', repeatInterval: '1h', sendResolved: true }), [0, 1]);
  }, 60_000);

  /*
   * The group is created at ~0 and due at 4. Both replicas die at 1.5 (holding every partition
   * lease, which lives 3 s after its last renewal); k3 is posted while none runs; they are
   * restarted at 2.5. The group must flush once, with k1..k3: not before 3.3, and at the latest
   * when a restarted process owns the partition (lease 3 s + a lease round 1 s after the kill)
   * plus process start-up (2.5 s) and pipeline latency (1.5 s).
   * After the flush: the same alerts re-sent (at 11, and at 16 after a second kill -9 and restart)
   * are not notified again (repeatInterval 1h); a new alert at 18 is, on the next tick (by 18 +
   * groupInterval + 2.5 s latency), which shows the restarted aggregators flush at all.
   */
  it('a group open at the kill flushes once with all its alerts; an unchanged group is not re-notified', async () => {
    const sc = new Scenario('crash', { stack, sink, path: '/crash' });
    const [k1, k2, k3, k4] = ['1', '2', '3', '4'].map((i) => sc.alert({ alertname: 'crash', namespace: 'ns-crash', instance: i }));
    sc.push(0, k1!.active(), k2!.active())
      .at(1.5, 'kill -9 every aggregator replica', () => stack.kill9('aggregator'))
      .push(2, k3!.active(2))
      .at(2.5, 'start every aggregator replica', () => stack.start('aggregator'))
      .push(11, k1!.active(), k2!.active(), k3!.active(2))
      .at(12, 'kill -9 every aggregator replica', () => stack.kill9('aggregator'))
      .at(12.5, 'start every aggregator replica', () => stack.start('aggregator'))
      .push(16, k1!.active(), k2!.active(), k3!.active(2))
      .push(18, k4!.active(18));
    sc.want(3.3, 1.5 + LEASE_MS / 1000 + LEASE_MS / 3000 + 2.5 + 1.5, k1!.firing(), k2!.firing(), k3!.firing());
    sc.want(18, 18 + 3 + 2.5, k1!.firing(), k2!.firing(), k3!.firing(), k4!.firing());
    expectPassed(await sc.run(24.5), stack);
  }, 60_000);
});
