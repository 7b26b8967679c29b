import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { collected, startNats, waitFor, type PrivateNats } from '@nm/testing';
import { createLogger, Metrics } from '@nm/telemetry';
import { streams, subjects, type ConsumerDefinition } from '@nm/contracts';
import { z } from 'zod';
import {
  connectBus,
  createPublisher,
  inline,
  InlineHops,
  provision,
  publishFitted,
  RetryableError,
  startConsumer,
  type BusConnection,
  type HandlerContext,
  type Publisher,
} from './index.js';

const logger = createLogger('inline-test', 'silent');
const INGESTED = subjects.alertsIngested;
const ADMITTED = subjects.alertsAdmitted;
const ROUTED = subjects.alertsRouted;

/** A handler that records synchronously and resolves. */
const record =
  <T>(f: (payload: T, ctx: HandlerContext) => unknown) =>
  (payload: T, ctx: HandlerContext): Promise<void> => {
    f(payload, ctx);
    return Promise.resolve();
  };

const ctxOf = (over: Partial<HandlerContext> = {}): HandlerContext => ({
  subject: INGESTED,
  deliveryCount: 2,
  attempt: 2,
  maxAttempts: 10,
  msgId: 'ing-1',
  streamSeq: 7,
  traceparent: undefined,
  childTraceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01',
  logger,
  ...over,
});

describe('InlineHops (one thread)', () => {
  it('calls the registered handler of a configured hop with the context of the handling it comes from', async () => {
    const hops = new InlineHops();
    hops.configure({ hops: [{ from: INGESTED, to: ADMITTED }], concurrency: 300 });
    const got: Array<{ payload: unknown; ctx: HandlerContext }> = [];
    hops.register(ADMITTED, record((payload, ctx) => got.push({ payload, ctx })), 'router');
    const payload = { alerts: [1] };
    await hops.call(ADMITTED, payload, { msgId: 'adm-ing-1', from: ctxOf() });
    expect(got).toHaveLength(1);
    expect(got[0]!.payload).toBe(payload); // the object itself: nothing encoded or copied
    expect(got[0]!.ctx).toMatchObject({ subject: ADMITTED, msgId: 'adm-ing-1', deliveryCount: 2, attempt: 2, maxAttempts: 10, streamSeq: 7 });
    expect(got[0]!.ctx.input).toBeUndefined();
    expect(got[0]!.ctx.shared).toBe(true); // the upstream's own object: not to be changed
    // the traceparent of the call is the upstream's child one
    expect(got[0]!.ctx.traceparent).toBe(ctxOf().childTraceparent);
    expect(hops.holds(INGESTED)).toBe(true);
    expect(hops.holds(ADMITTED)).toBe(false);
    expect(hops.concurrency(INGESTED, 8)).toBe(300);
    expect(hops.concurrency(INGESTED, 900)).toBe(900);
    expect(hops.concurrency(ADMITTED, 8)).toBe(8);
  });

  it('keeps no reference to the payload while the handler waits: only what the handler keeps stays alive', async () => {
    const hops = new InlineHops();
    hops.configure({ hops: [{ from: INGESTED, to: ADMITTED }] });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let kept: WeakRef<object> | undefined;
    // written as the aggregator's handler is: the promise it returns does not hold the payload
    hops.register(ADMITTED, (payload) => {
      kept = new WeakRef((payload as { alerts: object[] }).alerts[0]!);
      return gate;
    }, 'router');
    let payload: { alerts: object[]; big: string } | undefined = { alerts: [{ n: 1 }], big: 'x'.repeat(100_000) };
    const ref = new WeakRef(payload);
    const done = hops.call(ADMITTED, payload, { msgId: 'adm-ing-1', from: ctxOf() })!;
    payload = undefined;
    expect(await collected(ref)).toBe(true); // the chain is still running
    expect(await collected(kept!)).toBe(true);
    release();
    await done;
  });

  it('does nothing for a hop that is not configured, a subject nobody registered, or after the release', async () => {
    const hops = new InlineHops();
    hops.configure({ hops: [{ from: INGESTED, to: ADMITTED }] });
    const calls: string[] = [];
    // not a configured hop: registering is a no-op
    hops.register(ROUTED, record(() => calls.push('routed')), 'aggregator');
    expect(hops.runs(ROUTED)).toBe(false);
    expect(hops.call(ROUTED, {}, { msgId: 'x', from: ctxOf() })).toBeUndefined();
    expect(hops.call(ADMITTED, {}, { msgId: 'x', from: ctxOf() })).toBeUndefined();
    const release = hops.register(ADMITTED, record(() => calls.push('admitted')), 'router');
    // a second consumer of the subject on this thread does not replace the first
    hops.register(ADMITTED, record(() => calls.push('second')), 'router');
    await hops.call(ADMITTED, {}, { msgId: 'x', from: ctxOf() });
    release();
    expect(hops.runs(ADMITTED)).toBe(false);
    expect(hops.call(ADMITTED, {}, { msgId: 'y', from: ctxOf() })).toBeUndefined();
    expect(calls).toEqual(['admitted']);
    // configured with no hops: nothing runs inline, nothing holds
    hops.register(ADMITTED, record(() => calls.push('again')), 'router');
    hops.configure({ hops: [] });
    expect(hops.runs(ADMITTED)).toBe(false);
    expect(hops.holds(INGESTED)).toBe(false);
  });

  it('passes a handler failure (rejected or thrown before its first await) to the caller, and counts outcomes', async () => {
    const metrics = new Metrics('t');
    const hops = new InlineHops();
    hops.configure({ hops: [{ from: INGESTED, to: ADMITTED }], metrics });
    let mode: 'ok' | 'reject' | 'throw' = 'reject';
    hops.register(
      ADMITTED,
      ((_p: unknown) => {
        if (mode === 'throw') throw new Error('sync');
        return mode === 'reject' ? Promise.reject(new RetryableError('later')) : Promise.resolve();
      }),
      'router',
    );
    await expect(hops.call(ADMITTED, {}, { msgId: 'a', from: ctxOf() })).rejects.toThrow('later');
    mode = 'throw';
    await expect(hops.call(ADMITTED, {}, { msgId: 'b', from: ctxOf() })).rejects.toThrow('sync');
    mode = 'ok';
    await hops.call(ADMITTED, {}, { msgId: 'c', from: ctxOf() });
    const text = await metrics.registry.metrics();
    expect(text).toContain(`nm_bus_inline_total{subject="${ADMITTED}",outcome="failed"} 2`);
    expect(text).toContain(`nm_bus_inline_total{subject="${ADMITTED}",outcome="ok"} 1`);
  });

  it('publishFitted hands the whole payload to an inline consumer, built once and never serialised', async () => {
    const hops = inline;
    hops.configure({ hops: [{ from: INGESTED, to: ADMITTED }] });
    try {
      const received: unknown[] = [];
      const release = hops.register(ADMITTED, record((p) => received.push(p)), 'router');
      const published: string[] = [];
      const fake: Publisher = {
        maxPayload: () => 2048, // far less than the items: would be split on a durable hop
        publish: (subject) => {
          published.push(subject);
          return Promise.resolve({ seq: 1, duplicate: false });
        },
      };
      let builds = 0;
      const items = Array.from({ length: 50 }, (_, i) => ({ i, pad: 'x'.repeat(100) }));
      const toJSON = (): never => {
        throw new Error('serialised');
      };
      const build = (part: readonly unknown[]): unknown => {
        builds += 1;
        return { items: part, toJSON };
      };
      expect(await publishFitted(fake, ADMITTED, items, build, { msgId: (k, n) => `m.${k}.${n}`, from: ctxOf() })).toBe(1);
      expect(builds).toBe(1);
      expect(received).toHaveLength(1);
      expect(published).toEqual([]);
      // without `from` (not from a handler) the same call publishes, split to fit
      const plain = (part: readonly unknown[]): unknown => ({ items: part });
      expect(await publishFitted(fake, ADMITTED, items, plain, { msgId: (k, n) => `m.${k}.${n}` })).toBeGreaterThan(1);
      expect(received).toHaveLength(1);
      release();
    } finally {
      hops.configure({ hops: [] });
    }
  });
});

describe('inline hops between consumers on one thread, against a real nats-server', () => {
  let nats: PrivateNats;
  let bus: BusConnection;
  const upstream: ConsumerDefinition = {
    stream: streams.ingested.name,
    durable: 'test-inline-up',
    filterSubject: INGESTED,
    ackWaitSeconds: 3,
    maxDeliver: -1,
    maxAckPending: 1000,
  };
  const downstream: ConsumerDefinition = {
    stream: streams.admitted.name,
    durable: 'test-inline-down',
    filterSubject: ADMITTED,
    ackWaitSeconds: 3,
    maxDeliver: -1,
    maxAckPending: 1000,
  };
  const Payload = z.object({ n: z.number() }).passthrough();
  const quickCheck = (raw: unknown): boolean => typeof raw === 'object' && raw !== null && 'n' in raw;

  beforeAll(async () => {
    nats = await startNats();
    bus = await connectBus({ url: nats.url, name: 'inline-test', logger });
    await provision(bus.jsm, { streams: [streams.ingested, streams.admitted, streams.dlq], consumers: [upstream, downstream] });
  });
  afterEach(() => inline.configure({ hops: [] }));
  afterAll(async () => {
    await bus.close();
    await nats.stop();
  });

  const pending = async (def: ConsumerDefinition): Promise<{ waiting: number; unacked: number; stored: number }> => {
    const info = await bus.jsm.consumers.info(def.stream, def.durable);
    const stream = await bus.jsm.streams.info(def.stream);
    return { waiting: info.num_pending, unacked: info.num_ack_pending, stored: stream.state.messages };
  };

  it('the downstream handler runs on the upstream handler\'s publish; the upstream message is acked only after it resolved, redelivered when it failed, and nothing is stored between them', async () => {
    const metrics = new Metrics('t');
    inline.configure({ hops: [{ from: INGESTED, to: ADMITTED }], concurrency: 64, metrics });
    const pub = createPublisher(bus);
    const seen: Array<{ n: number; msgId: string; delivery: number }> = [];
    const gates = new Map<string, () => void>();
    let failFirst = true;
    const down = await startConsumer(bus, pub, logger, metrics, {
      consumer: downstream,
      schema: Payload,
      quickCheck,
      dlqStage: 'router',
      handler: async (p, ctx) => {
        seen.push({ n: p.n, msgId: ctx.msgId, delivery: ctx.deliveryCount });
        if (p.n === 2 && failFirst) {
          failFirst = false;
          throw new RetryableError('downstream failed once');
        }
        // held until the test lets it go, as the aggregator holds a message until its groups are published
        await new Promise<void>((resolve) => gates.set(`${p.n}:${ctx.deliveryCount}`, resolve));
      },
    });
    const up = await startConsumer(bus, pub, logger, metrics, {
      consumer: upstream,
      schema: Payload,
      quickCheck,
      dlqStage: 'silencer',
      backoffBaseMs: 50,
      backoffMaxMs: 100,
      handler: (p, ctx) => pub.publish(ADMITTED, { n: p.n, via: 'upstream' }, { msgId: `adm-${ctx.msgId}`, from: ctx }).then(() => undefined),
    });
    await pub.publish(INGESTED, { n: 1 }, { msgId: 'i1' });
    await pub.publish(INGESTED, { n: 2 }, { msgId: 'i2' });
    await waitFor('1 held downstream; 2 failed, then held on its redelivery', () => gates.has('1:1') && gates.has('2:2'), 10_000);
    // both upstream messages are unacknowledged while the downstream handlers hold them
    expect(await pending(upstream)).toMatchObject({ unacked: 2, stored: 2 });
    // the downstream ran with the published message id and the upstream delivery
    expect(seen).toEqual([
      { n: 1, msgId: 'adm-i1', delivery: 1 },
      { n: 2, msgId: 'adm-i2', delivery: 1 },
      { n: 2, msgId: 'adm-i2', delivery: 2 },
    ]);
    gates.get('1:1')!();
    gates.get('2:2')!();
    await waitFor('both acked upstream', async () => (await pending(upstream)).stored === 0, 10_000);
    // nothing went through the downstream's stream
    expect((await bus.jsm.streams.info(streams.admitted.name)).state.last_seq).toBe(0);
    const text = await metrics.registry.metrics();
    expect(text).toContain(`nm_bus_inline_total{subject="${ADMITTED}",outcome="ok"} 2`);
    expect(text).toContain(`nm_bus_inline_total{subject="${ADMITTED}",outcome="failed"} 1`);
    expect(text).toMatch(/nm_bus_messages_total\{consumer="test-inline-up",outcome="nak"\} 1/);

    // the downstream consumer stopped: what the upstream publishes now is stored, not lost
    await down.stop();
    await pub.publish(INGESTED, { n: 3 }, { msgId: 'i3' });
    await waitFor('3 stored on the downstream stream', async () => (await bus.jsm.streams.info(streams.admitted.name)).state.messages === 1, 10_000);
    await waitFor('3 acked upstream', async () => (await pending(upstream)).stored === 0, 10_000);
    expect(seen.map((s) => s.n)).toEqual([1, 2, 2]);
    // …and a downstream consumer started again takes it from the stream
    const later: number[] = [];
    const again = await startConsumer(bus, pub, logger, metrics, {
      consumer: downstream,
      schema: Payload,
      quickCheck,
      dlqStage: 'router',
      handler: record((p) => later.push(p.n)),
    });
    await waitFor('3 consumed from the stream', () => later.includes(3), 10_000);
    await again.stop();
    await up.stop();
  });
});
