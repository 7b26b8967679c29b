/**
 * The unclaimed notification reaper against a private nats-server and redis-server: notifications
 * of a channel without a live sender are dead-lettered once they are older than the timeout.
 * The reaper's clock is skewed (`now`) so "older than the timeout" and "no sender for the timeout"
 * need no waiting; message ages are still measured against the stream's own timestamps.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DeadLetterSchema,
  isPipelineSubject,
  PAYLOAD_VERSION,
  senderConsumer,
  streams,
  subjects,
  type Channel,
  type DeadLetter,
  type Notification,
} from '@nm/contracts';
import { keys } from '@nm/config-store';
import { createRuntime, type Runtime } from '@nm/service-kit';
import { EnvError } from '@nm/telemetry';
import { startNats, startRedis, waitFor, type PrivateNats, type PrivateRedis } from '@nm/testing';
import { REAPER_LOCK_KEY, UnclaimedReaper, formatDuration, unclaimedTimeoutFromEnv } from './unclaimed.reaper.js';

const TIMEOUT = 60_000;
const SEC = 1000;

let n = 0;
function notification(channel: Channel): Notification {
  n += 1;
  return {
    version: PAYLOAD_VERSION,
    id: `unclaimed-${Date.now().toString(36)}-${n}`,
    createdAt: new Date().toISOString(),
    receiver: { name: `r-${channel}`, channel, tenant: 'team-a' },
    groupKey: '{}:{alertname="Demo"}',
    groupLabels: { alertname: 'Demo' },
    alerts: [
      {
        id: `a-${n}`,
        status: 'firing',
        labels: { alertname: 'Demo', namespace: 'team-a' },
        annotations: {},
        startsAt: '2026-11-22T00:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: '0123456789abcdef',
        receivedAt: '2026-11-22T00:00:00Z',
      },
    ],
    part: { index: 0, count: 1 },
    source: 'alerts-array',
  };
}

describe('unclaimedTimeoutFromEnv', () => {
  it('reads a Go duration, defaults to 5m, 0 turns the reaper off, and names a bad value in one line', () => {
    expect(unclaimedTimeoutFromEnv({})).toBe(5 * 60_000);
    expect(unclaimedTimeoutFromEnv({ NM_NOTIFY_UNCLAIMED_TIMEOUT: '2s' })).toBe(2000);
    expect(unclaimedTimeoutFromEnv({ NM_NOTIFY_UNCLAIMED_TIMEOUT: '1m30s' })).toBe(90_000);
    expect(unclaimedTimeoutFromEnv({ NM_NOTIFY_UNCLAIMED_TIMEOUT: '0' })).toBe(0);
    expect(() => unclaimedTimeoutFromEnv({ NM_NOTIFY_UNCLAIMED_TIMEOUT: 'soon' })).toThrow(EnvError);
    expect(() => unclaimedTimeoutFromEnv({ NM_NOTIFY_UNCLAIMED_TIMEOUT: 'soon' })).toThrow(/^invalid environment: NM_NOTIFY_UNCLAIMED_TIMEOUT: [^\n]+$/);
    expect([formatDuration(300_000), formatDuration(2000), formatDuration(1500), formatDuration(7_200_000)]).toEqual(['5m', '2s', '1.5s', '2h']);
  });
});

describe('unclaimed notification reaper on real NATS and Redis', () => {
  let nats: PrivateNats;
  let redisServer: PrivateRedis;
  let rt: Runtime;
  let skew = 0;
  const reapers: UnclaimedReaper[] = [];

  /** `max_messages` of every pull the reapers made. */
  const pulls: number[] = [];
  /** The runtime's bus, with the pulls of consumers it hands out recorded. */
  const recordingBus = (bus: NonNullable<ReturnType<Runtime['bus']>>): NonNullable<ReturnType<Runtime['bus']>> => {
    const get = async (stream: string, durable: string) => {
      const consumer = await bus.js.consumers.get(stream, durable);
      return new Proxy(consumer, {
        get(target, key) {
          if (key === 'fetch') return (o: { max_messages: number; expires: number }) => (pulls.push(o.max_messages), target.fetch(o));
          const v: unknown = Reflect.get(target, key);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    };
    const consumers = new Proxy(bus.js.consumers, { get: (t, k): unknown => (k === 'get' ? get : Reflect.get(t, k)) });
    const js = new Proxy(bus.js, { get: (t, k): unknown => (k === 'consumers' ? consumers : Reflect.get(t, k)) });
    return new Proxy(bus, { get: (t, k): unknown => (k === 'js' ? js : Reflect.get(t, k)) });
  };
  const reaper = (instance: string, channels: Channel[], batchSize?: number): UnclaimedReaper => {
    const live = rt.bus();
    if (!live) throw new Error('not connected');
    const bus = recordingBus(live);
    const r = new UnclaimedReaper(
      { bus, publisher: rt.publisher, redis: rt.redis, logger: rt.logger, metrics: rt.metrics, instance, now: () => Date.now() + skew },
      { timeoutMs: TIMEOUT, channels, ...(batchSize ? { batchSize } : {}) },
    );
    reapers.push(r);
    return r;
  };
  const publish = async (x: Notification): Promise<number> =>
    (await rt.publisher.publish(subjects.notify(x.receiver.channel), x, { msgId: `notify-${x.id}` })).seq;
  /** Dead letters of one channel, with their stream sequence and message id. */
  const deadLetters = async (channel: Channel): Promise<Array<{ dl: DeadLetter; msgId: string | undefined }>> => {
    const bus = rt.bus()!;
    const out: Array<{ dl: DeadLetter; msgId: string | undefined }> = [];
    for (let seq = 0; ; ) {
      const m = await bus.jsm.streams.getMessage(streams.dlq.name, { seq, next_by_subj: subjects.dlq(`sender-${channel}`) } as unknown as { seq: number });
      if (!m) break;
      out.push({ dl: DeadLetterSchema.parse(m.json()), msgId: m.header?.get('Nats-Msg-Id') });
      seq = m.seq + 1;
    }
    return out;
  };
  const waiting = async (channel: Channel): Promise<number> => {
    const c = await rt.bus()!.jsm.consumers.info(streams.notify.name, senderConsumer(channel).durable);
    return c.num_pending + c.num_ack_pending;
  };
  const unclaimedCount = async (channel: Channel): Promise<number> => {
    const metric = await rt.metrics.registry.getSingleMetric('nm_notifications_unclaimed_total')?.get();
    return metric?.values.find((v) => v.labels['channel'] === channel)?.value ?? 0;
  };
  const beat = (service: string, at: number): Promise<number> => rt.redis.hset(keys.heartbeats, service, JSON.stringify({ instance: 'test', at }));

  beforeAll(async () => {
    [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
    rt = createRuntime({ service: 'aggregator', natsUrl: nats.url, redisUrl: redisServer.url, secretKey: 'reaper-test-secret-key', logLevel: 'silent', readConfig: false });
    await rt.connected;
  }, 60_000);

  afterAll(async () => {
    for (const r of reapers) await r.stop();
    await rt?.close();
    await nats?.stop();
    await redisServer?.stop();
  });

  it('dead-letters only notifications older than the timeout of a channel without a live sender, replayably, and counts them', async () => {
    const r = reaper('a', ['sms', 'webhook']);
    await beat('sender-webhook', Date.now());
    skew = -3 * TIMEOUT;
    expect(await r.tick()).toEqual({ leader: true, reaped: {} }); // both channels observed; sms has no sender from here on

    const old = notification('sms');
    const oldSeq = await publish(old);
    const webhookOld = notification('webhook');
    await publish(webhookOld);
    await beat('sender-webhook', Date.now());
    skew = TIMEOUT + 5 * SEC; // the messages just published are now older than the timeout
    const first = await r.tick();
    expect(first).toEqual({ leader: true, reaped: { sms: 1 } });
    expect(await waiting('sms')).toBe(0);
    expect(await waiting('webhook')).toBe(1); // its sender is alive: left alone

    const [entry, ...more] = await deadLetters('sms');
    expect(more).toEqual([]);
    expect(entry!.msgId).toBe(`dlq-${streams.notify.name}-${oldSeq}`);
    expect(entry!.dl).toMatchObject({
      version: PAYLOAD_VERSION,
      stage: 'sender-sms',
      reason: 'no-sender',
      error: 'no sender-sms has taken this notification within 1m (no live sender-sms instance)',
      subject: subjects.notify('sms'),
      deliveries: 1,
    });
    expect(entry!.dl.payload).toEqual(old); // what a replay republishes…
    expect(isPipelineSubject(entry!.dl.subject)).toBe(true); // …to a subject a replay may target
    expect(await unclaimedCount('sms')).toBe(1);

    // A young notification is not touched: still waiting, never delivered to anyone.
    const young = notification('sms');
    await publish(young);
    skew = 0;
    expect(await r.tick()).toEqual({ leader: true, reaped: {} });
    const info = await rt.bus()!.jsm.consumers.info(streams.notify.name, 'sender-sms');
    expect([info.num_pending, info.num_ack_pending, info.num_redelivered]).toEqual([1, 0, 0]);

    // A sender of the channel comes alive: nothing is reaped, however old.
    await beat('sender-sms', Date.now());
    skew = TIMEOUT + 5 * SEC;
    expect((await r.tick()).reaped).toEqual({});
    expect(await waiting('sms')).toBe(1);

    // It goes away again: reaping resumes only after no sender was seen for the timeout.
    await beat('sender-sms', Date.now() - 60 * SEC);
    expect((await r.tick()).reaped).toEqual({});
    skew = 3 * TIMEOUT;
    expect((await r.tick()).reaped).toEqual({ sms: 1 });
    expect((await deadLetters('sms')).map((e) => (e.dl.payload as Notification).id)).toEqual([old.id, young.id]);
    expect(await unclaimedCount('sms')).toBe(2);
    await r.stop();
  });

  it('leaves a channel alone while a client pulls from its consumer, whatever the heartbeats say', async () => {
    const r = reaper('b', ['discord']);
    skew = -3 * TIMEOUT;
    await r.tick();
    const x = notification('discord');
    await publish(x);
    // A sender without a heartbeat (its Redis away, say) that keeps pulling and handing the message back.
    const consumer = await rt.bus()!.js.consumers.get(streams.notify.name, 'sender-discord');
    const messages = await consumer.consume({ max_messages: 10 });
    let got = 0;
    const loop = (async () => {
      for await (const m of messages) {
        got += 1;
        m.nak();
      }
    })();
    await waitFor('the puller got the message', () => got >= 1);
    skew = TIMEOUT + 5 * SEC;
    for (let i = 0; i < 3; i++) expect((await r.tick()).reaped).toEqual({});
    expect(await deadLetters('discord')).toEqual([]);
    messages.stop();
    await loop;
    await r.stop();
  });

  it('pulls batch after batch in one tick, and ends the tick without waiting once the consumer is drained', async () => {
    const r = reaper('c', ['pushover'], 2);
    skew = -3 * TIMEOUT;
    await r.tick();
    const xs = [notification('pushover'), notification('pushover'), notification('pushover'), notification('pushover'), notification('pushover')];
    for (const x of xs) await publish(x);
    skew = TIMEOUT + 5 * SEC;
    pulls.length = 0;
    expect(await r.tick()).toEqual({ leader: true, reaped: { pushover: 5 } });
    // Batches of 2, 2 and 1, each asking for no more than the consumer held: no further pull that
    // would only wait out its one-second expiry.
    expect(pulls).toEqual([2, 2, 1]);
    expect((await deadLetters('pushover')).map((e) => (e.dl.payload as Notification).id)).toEqual(xs.map((x) => x.id));
    expect(await waiting('pushover')).toBe(0);
    await r.stop();
  });

  it('lets one replica reap at a time, and another take over when it stops', async () => {
    const one = reaper('one', ['telegram']);
    const two = reaper('two', ['telegram']);
    await rt.redis.del(REAPER_LOCK_KEY);
    skew = -3 * TIMEOUT;
    const [t1, t2] = await Promise.all([one.tick(), two.tick()]);
    expect([t1.leader, t2.leader].filter(Boolean)).toHaveLength(1);
    const [leader, other] = t1.leader ? [one, two] : [two, one];
    expect(await rt.redis.pttl(REAPER_LOCK_KEY)).toBeGreaterThan(0);

    const x = notification('telegram');
    await publish(x);
    skew = TIMEOUT + 5 * SEC;
    expect(await other.tick()).toEqual({ leader: false, reaped: {} });
    expect(await waiting('telegram')).toBe(1);

    await leader.stop(); // releases the lease
    expect(await rt.redis.exists(REAPER_LOCK_KEY)).toBe(0);
    expect(await other.tick()).toEqual({ leader: true, reaped: { telegram: 1 } });
    expect((await deadLetters('telegram')).map((e) => (e.dl.payload as Notification).id)).toEqual([x.id]);
  });
});
