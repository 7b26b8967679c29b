import { describe, expect, it, jest } from '@jest/globals';
import { GLOBAL_TENANT, NotificationSchema, PAYLOAD_VERSION, type Alert, type Notification, type RoutedBatch } from '@nm/contracts';
import { MessageTooLargeError, type HandlerContext, type PublishOptions, type Publisher } from '@nm/bus';
import { createLogger, Metrics } from '@nm/telemetry';
import { labelSetString } from '@nm/model';
import type { IntakeState } from '@nm/service-kit';
import { BatchAggregator, encodeNotification, FLUSH_SLICE_MS, INTAKE_CHECK_MS, notificationId } from './batch.aggregator.js';
import { memoryPublishedLog } from './published.log.js';
import { collected } from '@nm/testing';

const logger = createLogger('t', 'silent');
const ctx = { logger } as unknown as HandlerContext;
let n = 0;
const alert = (labels: Record<string, string>): Alert => ({
  id: `a${++n}`,
  status: 'firing',
  labels,
  annotations: {},
  startsAt: '2026-11-22T00:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  fingerprint: '0123456789abcdef',
  receivedAt: '2026-11-22T00:00:00Z',
});
/** The notification as published: its bytes, decoded and checked (the payload given with them is the header only). */
const sent = (p: unknown, o: PublishOptions): Notification => {
  expect(o.handoff).toBe(false);
  return NotificationSchema.parse(o.encoded ? JSON.parse(Buffer.from(o.encoded).toString('utf8')) : p);
};
const batch = (alerts: Alert[], receivers: RoutedBatch['receivers'] = [{ name: 'r', channel: 'webhook', tenant: 'ns1' }]): RoutedBatch => ({
  version: PAYLOAD_VERSION,
  batchId: 'b',
  chunk: { index: 0, count: 1 },
  source: 'alerts-array',
  receivedAt: '2026-11-22T00:00:00Z',
  receivers,
  routes: alerts.map((a) => ({ alert: a, receivers: receivers.map((_, i) => i) })),
});

/** Runs `test` on jest's fake timers and clock, starting at `now`; real timers again afterwards. */
async function onFakeTime(now: number, test: () => Promise<void>): Promise<void> {
  jest.useFakeTimers({ now });
  try {
    await test();
  } finally {
    jest.useRealTimers();
  }
}

/** Hands `agg` `count` first deliveries of one alert each (alert name `name`), `everyMs` apart on the fake clock, into `handled`. */
async function feed(agg: BatchAggregator, handled: Array<Promise<void>>, name: string, count: number, everyMs: number, tag = ''): Promise<void> {
  for (let i = 0; i < count; i++) {
    handled.push(agg.handle(batch([alert({ alertname: name, pod: `${tag}${i}` })]), { ...ctx, deliveryCount: 1 }));
    await jest.advanceTimersByTimeAsync(everyMs);
  }
}

function setup(settings = { groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 50 }, fail = false, extra: Partial<ConstructorParameters<typeof BatchAggregator>[0]> = {}) {
  const published: Notification[] = [];
  const publisher: Publisher = {
    publish: (_s, p, o) => {
      if (fail) return Promise.reject(new Error('nats down'));
      const parsed = sent(p, o);
      expect(o.msgId).toBe(parsed.id);
      published.push(parsed);
      return Promise.resolve({ seq: published.length, duplicate: false });
    },
  };
  const agg = new BatchAggregator({ publisher, settings: () => settings, logger, metrics: new Metrics('t'), ...extra });
  return { agg, published };
}

describe('BatchAggregator', () => {
  it('does not keep a held message alive while its groups wait, nor its alerts: the groups hold their JSON', async () => {
    // a wait no slow machine outlasts: the group is flushed by the test, after the checks
    const { agg, published } = setup({ groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 600_000 });
    let message: RoutedBatch | undefined = batch([alert({ alertname: 'Held', pod: '1' }), alert({ alertname: 'Held', pod: '2' })]);
    const ref = new WeakRef(message);
    const alertRef = new WeakRef(message.routes[0]!.alert);
    const handled = agg.handle(message, ctx);
    message = undefined;
    expect(await collected(ref)).toBe(true); // the routed message (its routes, receivers) is garbage while the group waits
    expect(await collected(alertRef)).toBe(true); // its alerts too: the group holds their JSON
    expect(published).toHaveLength(0);
    await agg.flushAll();
    await handled;
    expect(published.map((p) => p.alerts.length)).toEqual([2]);
  });

  it('coalesces under load: a due group keeps collecting while its channel is behind and input arrives, up to coalesceMaxMs, then flushes once', () =>
    onFakeTime(0, async () => {
      const asked: string[] = [];
      const { agg, published } = setup({ groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 50 }, false, {
        backlog: { of: (c) => (asked.push(c), 500) },
        limits: { coalesceBacklog: 32, coalesceMaxMs: 1500 },
      });
      const handled: Array<Promise<void>> = [];
      // a message every 100 ms: the group's wait (50 ms) ends long before the input does
      await feed(agg, handled, 'A', 14, 100);
      expect(published).toHaveLength(0); // t = 1400: held, collecting
      await jest.advanceTimersByTimeAsync(150); // the limit, 1500 ms after its first alert
      expect(published.map((p) => p.alerts.length)).toEqual([14]); // one notification for every message
      await Promise.all(handled);
      expect(asked[0]).toBe('webhook');
    }));

  it('stops holding for a channel behind once the input has ended: nothing more could join the group', () =>
    onFakeTime(0, async () => {
      const metrics = new Metrics('t');
      const { agg, published } = setup({ groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 50 }, false, {
        backlog: { of: () => 500 },
        metrics,
        limits: { coalesceBacklog: 32, coalesceMaxMs: 60_000 },
      });
      // a burst: a message every 5 ms, then nothing
      const handled: Array<Promise<void>> = [];
      await feed(agg, handled, 'E', 20, 5);
      await jest.advanceTimersByTimeAsync(100); // due at 50 ms, held: the input had not ended
      expect(published).toHaveLength(0);
      expect(await metrics.registry.metrics()).toMatch(/nm_aggregator_coalesce_holds_total\{channel="webhook",reason="senders-behind"\} [1-9]/);
      await jest.advanceTimersByTimeAsync(300); // a quarter second after the last message: ended
      expect(published.map((p) => p.alerts.length)).toEqual([20]);
      await Promise.all(handled);
    }));

  it('stops holding for late input once the input has ended, not a second after its last late message', () =>
    onFakeTime(Date.parse('2026-12-01T00:00:00Z'), async () => {
      const { agg, published } = setup({ groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 50 }, false, {
        backlog: { of: () => 0 },
        limits: { coalesceBacklog: 32, coalesceMaxMs: 60_000, coalesceLagMs: 100 },
      });
      const late = (alerts: Alert[], msAgo: number): RoutedBatch => ({ ...batch(alerts), receivedAt: new Date(Date.now() - msAgo).toISOString() });
      const handled = [agg.handle(late([alert({ alertname: 'T', pod: 'on time' })], 0), { ...ctx, deliveryCount: 1 })];
      // then 1.5 s late, every 5 ms: the stages before are behind
      for (let i = 0; i < 20; i++) {
        await jest.advanceTimersByTimeAsync(5);
        handled.push(agg.handle(late([alert({ alertname: 'T', pod: String(i) })], 1_500), { ...ctx, deliveryCount: 1 }));
      }
      await jest.advanceTimersByTimeAsync(150);
      expect(published).toHaveLength(0); // held: late, and more may come
      await jest.advanceTimersByTimeAsync(200); // 350 ms after the last one: ended
      expect(published.map((p) => p.alerts.length)).toEqual([21]);
      await Promise.all(handled);
    }));

  it('keeps holding for a channel behind across the pauses of bursts that come a regular pause apart', () =>
    onFakeTime(0, async () => {
      const { agg, published } = setup({ groupLabels: ['alertname'], batchMaxSize: 1000, batchMaxWaitMs: 50 }, false, {
        backlog: { of: () => 500 },
        limits: { coalesceBacklog: 32, coalesceMaxMs: 5_000 },
      });
      const handled: Array<Promise<void>> = [];
      // five bursts, one a second, each of ten messages 5 ms apart
      for (let b = 0; b < 5; b++) {
        await feed(agg, handled, 'P', 10, 5, `${b}-`);
        await jest.advanceTimersByTimeAsync(950);
      }
      await jest.advanceTimersByTimeAsync(1_000);
      // the first two bursts each ended their group (no pattern yet); from the third on, the pauses
      // are a pattern and the group takes every later burst until the input really ends
      expect(published.map((p) => p.alerts.length)).toEqual([10, 10, 30]);
      await Promise.all(handled);
    }));

  it('keeps holding for a channel behind while input comes at its own slower pace', () =>
    onFakeTime(0, async () => {
      const { agg, published } = setup({ groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 50 }, false, {
        backlog: { of: () => 500 },
        limits: { coalesceBacklog: 32, coalesceMaxMs: 5_000 },
      });
      // a message every 700 ms: quiet for longer than a quarter second between them, but not over
      const handled: Array<Promise<void>> = [];
      await feed(agg, handled, 'S', 8, 700);
      // t = 5600: the first message's group went when the input seemed to end (its pace was not
      // known yet); the next one has collected every later message since 700 ms
      expect(published.map((p) => p.alerts.length)).toEqual([1]);
      await jest.advanceTimersByTimeAsync(200); // its 5 s limit
      expect(published.map((p) => p.alerts.length)).toEqual([1, 7]);
      await Promise.all(handled);
    }));

  it('coalesces while routed messages arrive late after their receipt, and counts why it held', async () => {
    const metrics = new Metrics('t');
    const { agg, published } = setup({ groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 50 }, false, {
      backlog: { of: () => 0 },
      metrics,
      // held until the input is idle (a second after the last late arrival) or the limit: more than
      // a second of slack for the check at 150 ms on a slow machine
      limits: { coalesceBacklog: 32, coalesceMaxMs: 1500, coalesceLagMs: 200 },
    });
    const late = (alerts: Alert[], msAgo: number): RoutedBatch => ({ ...batch(alerts), receivedAt: new Date(Date.now() - msAgo).toISOString() });
    const t0 = Date.now();
    const first = agg.handle(late([alert({ alertname: 'L', pod: '1' })], 0), { ...ctx, deliveryCount: 1 });
    const second = agg.handle(late([alert({ alertname: 'L', pod: '2' })], 1_500), { ...ctx, deliveryCount: 1 });
    await new Promise((r) => setTimeout(r, 150)); // past batchMaxWait: held while the input is late
    expect(published).toHaveLength(0);
    const third = agg.handle(late([alert({ alertname: 'L', pod: '3' })], 1_500), { ...ctx, deliveryCount: 1 });
    await Promise.all([first, second, third]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect(published.map((p) => p.alerts.length)).toEqual([3]);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/nm_aggregator_coalesce_holds_total\{channel="webhook",reason="input-late"\} [1-9]/);
    expect(text).not.toMatch(/reason="senders-behind"/);
  });

  it('ends a hold for late input as soon as ingest is idle and every message it stored was seen (single process)', () =>
    onFakeTime(Date.parse('2026-11-22T00:00:10Z'), async () => {
      const state: IntakeState = { inFlight: 1, idleMs: 0, publishedSeq: 1 };
      const make = (intake?: () => IntakeState) =>
        setup({ groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 50 }, false, {
          backlog: { of: () => 0 },
          limits: { coalesceBacklog: 32, coalesceMaxMs: 5_000, coalesceLagMs: 100 },
          ...(intake ? { intake } : {}),
        });
      const watching = make(() => ({ ...state }));
      const alone = make();
      const handled: Array<Promise<void>> = [];
      const message = (seq: number, msAgo: number) => {
        const b = { ...batch([alert({ alertname: 'L', pod: String(seq) })]), receivedAt: new Date(Date.now() - msAgo).toISOString() };
        for (const { agg } of [watching, alone]) handled.push(agg.handle(b, { ...ctx, deliveryCount: 1, streamSeq: seq }));
      };
      // on time first (the baseline), then 1.5 s late: the group is held past its wait
      message(1, 0);
      for (let seq = 2; seq <= 6; seq++) {
        await jest.advanceTimersByTimeAsync(10);
        message(seq, 1_500);
      }
      state.publishedSeq = 6;
      await jest.advanceTimersByTimeAsync(60);
      expect(watching.published).toHaveLength(0); // ingest still has a request in hand
      expect(alone.published).toHaveLength(0);
      // ingest answered its last request a while ago, and the last message it stored was seen
      Object.assign(state, { inFlight: 0, idleMs: 500 });
      await jest.advanceTimersByTimeAsync(INTAKE_CHECK_MS + 5);
      expect(watching.published.map((p) => p.alerts.length)).toEqual([6]);
      // without ingest's state the group waits for a quarter second of quiet
      expect(alone.published).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(200);
      expect(alone.published.map((p) => p.alerts.length)).toEqual([6]);
      await Promise.all(handled);
    }));

  it('does not count a redelivered message as late input', async () => {
    // a hold would last a minute here: the test would time out
    const { agg, published } = setup({ groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 50 }, false, {
      limits: { coalesceBacklog: 32, coalesceMaxMs: 60_000, coalesceLagMs: 200 },
    });
    const old = (alerts: Alert[], msAgo: number): RoutedBatch => ({ ...batch(alerts), receivedAt: new Date(Date.now() - msAgo).toISOString() });
    await agg.handle(old([alert({ alertname: 'R', pod: '1' })], 0), { ...ctx, deliveryCount: 1 });
    const t0 = Date.now();
    await agg.handle(old([alert({ alertname: 'R', pod: '2' })], 120_000), { ...ctx, deliveryCount: 3, msgId: 'm-redelivered' });
    expect(published).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 90_000);

  it('flushes after batchMaxWait as usual while the channel is not behind', async () => {
    // a hold would last a minute here: the test would time out
    const { agg, published } = setup({ groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 50 }, false, {
      backlog: { of: () => 32 },
      limits: { coalesceBacklog: 32, coalesceMaxMs: 60_000 },
    });
    const t0 = Date.now();
    await agg.handle(batch([alert({ alertname: 'B' })]), ctx);
    expect(published).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(30_000); // flushed after the 50 ms wait, not held
  }, 90_000);

  it('flushes groups that fall due together a slice per turn, so the first publishes are not held behind the whole wave', async () => {
    // 40 groups due at the same moment; each publish takes 1 ms of CPU (the encoding and writing of a large notification)
    const turns: number[] = [];
    let turn = 0;
    let done = false;
    const tick = (): void => {
      turn += 1;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const publisher: Publisher = {
      publish: () => {
        const until = performance.now() + 1;
        while (performance.now() < until);
        turns.push(turn);
        return Promise.resolve({ seq: turns.length, duplicate: false });
      },
    };
    const agg = new BatchAggregator({ publisher, settings: () => ({ groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 20 }), logger, metrics: new Metrics('t') });
    await agg.handle(batch(Array.from({ length: 40 }, (_, i) => alert({ alertname: `Wave${i}` }))), ctx);
    done = true;
    expect(turns).toHaveLength(40);
    // before: all 40 in the timers' turn (one turn, 40 ms before the first write); now at most a slice's worth per turn
    const perTurn = new Map<number, number>();
    for (const t of turns) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect(perTurn.size).toBeGreaterThanOrEqual(Math.floor(40 / (FLUSH_SLICE_MS + 2)));
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(FLUSH_SLICE_MS + 1);
  });

  it('counts a queued flush in the senders\' backlog at once: groups due in the same turn hold behind it', () =>
    onFakeTime(0, async () => {
      let unfinished = 0;
      const { agg, published } = setup({ groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 50 }, false, {
        backlog: { of: () => unfinished, sent: () => void (unfinished += 1) },
        limits: { coalesceBacklog: 5, coalesceMaxMs: 60_000 },
      });
      // one message of 40 groups, all due at 50 ms, while more input keeps coming (so the holds apply)
      const handled: Array<Promise<void>> = [agg.handle(batch(Array.from({ length: 40 }, (_, i) => alert({ alertname: `Due${i}` }))), { ...ctx, deliveryCount: 1 })];
      await feed(agg, handled, 'More', 6, 10);
      // six queued (the backlog then over five), the other 34 held; before, every one of them saw the backlog empty
      expect(published.filter((p) => p.groupKey.includes('Due'))).toHaveLength(6);
      await jest.advanceTimersByTimeAsync(1_000); // the input ended: the rest flush
      expect(published.filter((p) => p.groupKey.includes('Due'))).toHaveLength(40);
      await Promise.all(handled);
    }));

  it('does not coalesce when coalesceBacklog is 0', async () => {
    const { agg, published } = setup({ groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 50 }, false, {
      backlog: { of: () => 10_000 },
      limits: { coalesceBacklog: 0, coalesceMaxMs: 60_000 },
    });
    const t0 = Date.now();
    await agg.handle(batch([alert({ alertname: 'A' })]), ctx);
    // a hold would last coalesceMaxMs (a minute): the bound is half of it, slack for a slow machine
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(published).toHaveLength(1);
  }, 90_000);

  it('groups per receiver by groupLabels across messages, flushes after the wait, then resolves the handlers', async () => {
    const { agg, published } = setup();
    const t0 = Date.now();
    const h1 = agg.handle(batch([alert({ alertname: 'A', pod: '1' }), alert({ alertname: 'B' })]), ctx);
    const h2 = agg.handle(batch([alert({ alertname: 'A', pod: '2' })]), ctx);
    expect(published).toHaveLength(0);
    await Promise.all([h1, h2]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(published.map((p) => [p.groupLabels, p.alerts.length])).toEqual([
      [{ alertname: 'A' }, 2],
      [{ alertname: 'B' }, 1],
    ]);
    expect(published[0]!.groupKey).toBe('webhook/r:{alertname="A"}');
    expect(agg.openGroups()).toBe(0);
  });

  it('keeps receivers apart and a redelivered message adds nothing twice', async () => {
    const { agg, published } = setup();
    const a = alert({ alertname: 'A' });
    const receivers = [
      { name: 'r1', channel: 'webhook' as const, tenant: 'ns1' },
      { name: 'g', channel: 'webhook' as const, tenant: GLOBAL_TENANT },
    ];
    await Promise.all([agg.handle(batch([a], receivers), ctx), agg.handle(batch([a], receivers), ctx)]);
    expect(published.map((p) => `${p.receiver.name}:${p.alerts.length}`).sort()).toEqual(['g:1', 'r1:1']);
  });

  it('flushes at batchMaxSize at once and splits into parts of at most batchMaxSize', async () => {
    const { agg, published } = setup({ groupLabels: [], batchMaxSize: 3, batchMaxWaitMs: 60_000 });
    await agg.handle(batch([1, 2, 3, 4, 5, 6, 7].map((i) => alert({ alertname: 'X', i: String(i) }))), ctx);
    expect(published.map((p) => [p.alerts.length, p.part])).toEqual([
      [3, { index: 0, count: 3 }],
      [3, { index: 1, count: 3 }],
      [1, { index: 2, count: 3 }],
    ]);
    expect(new Set(published.map((p) => p.id)).size).toBe(3);
  });

  it('rejects the contributing handlers when publishing fails (so their messages are redelivered)', async () => {
    const { agg } = setup(undefined, true);
    await expect(agg.handle(batch([alert({ alertname: 'A' })]), ctx)).rejects.toThrow('nats down');
  });

  it('serialises a notification from its alerts\' JSON to exactly the bytes of the whole object', () => {
    const alerts = [alert({ alertname: 'Ü "quoted" \\ x', pod: '1' }), { ...alert({ alertname: 'B' }), annotations: { message: 'line\nbreak \u2028 ☃' } }];
    const head = { version: PAYLOAD_VERSION, id: 'n1', createdAt: '2026-11-22T00:00:00.000Z', receiver: { name: 'r', channel: 'webhook' as const, tenant: 'ns1' }, groupKey: 'k', groupLabels: { alertname: 'B' } };
    for (const tail of [{ part: { index: 1, count: 2 }, source: 'alerts-array' as const }, { part: { index: 0, count: 1 }, externalURL: 'http://am', source: 'alerts-array' as const }]) {
      const json = alerts.map((a) => JSON.stringify(a));
      expect(Buffer.from(encodeNotification(head, json, 0, 2, tail)).toString('utf8')).toBe(JSON.stringify({ ...head, alerts, ...tail }));
      expect(Buffer.from(encodeNotification(head, json, 1, 2, tail)).toString('utf8')).toBe(JSON.stringify({ ...head, alerts: [alerts[1]], ...tail }));
    }
  });

  it('fails the contributing handlers with a permanent error when one alert alone is over max_payload', async () => {
    const publisher: Publisher = { maxPayload: () => 64 * 1024, publish: () => Promise.resolve({ seq: 1, duplicate: false }) };
    const agg = new BatchAggregator({ publisher, settings: () => ({ groupLabels: [], batchMaxSize: 10, batchMaxWaitMs: 10 }), logger, metrics: new Metrics('t') });
    const huge = { ...alert({ alertname: 'X' }), annotations: { message: 'm'.repeat(70 * 1024) } };
    await expect(agg.handle(batch([alert({ alertname: 'X' }), huge]), ctx)).rejects.toThrow(MessageTooLargeError);
  });

  it('gives the same id to the same receiver, group and alerts', () => {
    const r = { name: 'r', channel: 'webhook' as const, tenant: 't' };
    expect(notificationId(r, 'k', ['a', 'b'], 0)).toBe(notificationId(r, 'k', ['b', 'a'], 0));
    expect(notificationId(r, 'k', ['a', 'b'], 0)).not.toBe(notificationId(r, 'k', ['a', 'c'], 0));
    expect(labelSetString({ b: '2', a: '1' })).toBe('{a="1", b="2"}');
  });
});

describe('BatchAggregator: bounded, and no repeats after a partial flush', () => {
  const ctxOf = (msgId: string, deliveryCount = 1): HandlerContext => ({ logger, msgId, deliveryCount }) as unknown as HandlerContext;

  it('a redelivered message after a partial flush failure notifies only what was not published', async () => {
    const published: Notification[] = [];
    let failB = true;
    const publisher: Publisher = {
      publish: (_s, p, o) => {
        const parsed = sent(p, o);
        if (failB && parsed.groupLabels.alertname === 'B') return Promise.reject(new Error('stream full'));
        published.push(parsed);
        return Promise.resolve({ seq: published.length, duplicate: false });
      },
    };
    const log = memoryPublishedLog();
    const settings = { groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 30 };
    const agg = new BatchAggregator({ publisher, settings: () => settings, logger, metrics: new Metrics('t'), publishedLog: log });
    const a1 = alert({ alertname: 'A' });
    const b1 = alert({ alertname: 'B' });
    const m = batch([a1, b1]);
    // first delivery: A is published, B fails → the handler rejects (the message is redelivered)
    await expect(agg.handle(m, ctxOf('rt-m'))).rejects.toThrow('stream full');
    expect(published.map((p) => p.alerts.map((a) => a.id))).toEqual([[a1.id]]);
    failB = false;
    // redelivery, while another message brings a new alert of group A
    const a2 = alert({ alertname: 'A' });
    await Promise.all([agg.handle(m, ctxOf('rt-m', 2)), agg.handle(batch([a2]), ctxOf('rt-n'))]);
    const deliveries = published.flatMap((p) => p.alerts.map((a) => a.id));
    expect(deliveries.sort()).toEqual([a1.id, a2.id, b1.id].sort()); // each alert once
  });

  it('at the group limit, messages needing new groups wait for flushes instead of growing the map', async () => {
    const published: Notification[] = [];
    const publisher: Publisher = {
      publish: (_s, p, o) => {
        published.push(sent(p, o));
        return Promise.resolve({ seq: published.length, duplicate: false });
      },
    };
    const settings = { groupLabels: ['alertname'], batchMaxSize: 100, batchMaxWaitMs: 40 };
    const agg = new BatchAggregator({ publisher, settings: () => settings, logger, metrics: new Metrics('t'), limits: { maxGroups: 2 } });
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, agg.openGroups())), 2);
    await Promise.all(['A', 'B', 'C', 'D', 'E'].map((name, i) => agg.handle(batch([alert({ alertname: name })]), ctxOf(`m${i}`))));
    clearInterval(watch);
    expect(most).toBeLessThanOrEqual(2);
    expect(published.map((p) => p.groupLabels.alertname).sort()).toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it('flushes a group at maxGroupAlerts even when batchMaxSize is larger, and splits parts to fit max_payload', async () => {
    const published: Notification[] = [];
    const sizes: number[] = [];
    const publisher: Publisher = {
      maxPayload: () => 1024 * 1024,
      publish: (_s, p, o) => {
        sizes.push(o.encoded!.byteLength);
        published.push(sent(p, o));
        return Promise.resolve({ seq: published.length, duplicate: false });
      },
    };
    const settings = { groupLabels: [], batchMaxSize: 1000, batchMaxWaitMs: 60_000 };
    const agg = new BatchAggregator({ publisher, settings: () => settings, logger, metrics: new Metrics('t'), limits: { maxGroupAlerts: 10 } });
    const big = Array.from({ length: 10 }, (_, i) => ({ ...alert({ alertname: 'X', i: String(i) }), annotations: { message: 'm'.repeat(300_000) } }));
    await agg.handle(batch(big), ctxOf('m'));
    expect(published.flatMap((p) => p.alerts.map((a) => a.id)).sort()).toEqual(big.map((a) => a.id).sort());
    expect(published.length).toBeGreaterThanOrEqual(4); // 3 MB does not fit one message
    for (const s of sizes) expect(s).toBeLessThanOrEqual(1024 * 1024 - 1024);
    expect(published.every((p) => p.part.count === published.length)).toBe(true);
  });
});
