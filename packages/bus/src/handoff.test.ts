import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startNats, waitFor, type PrivateNats } from '@nm/testing';
import { createLogger, Metrics } from '@nm/telemetry';
import { streams, subjects, type ConsumerDefinition } from '@nm/contracts';
import { z } from 'zod';
import { connectBus, createPublisher, encodePayload, handoff, Handoff, provision, RetryableError, startConsumer, subjectMatches, type BusConnection } from './index.js';

const bytes = (v: unknown): Uint8Array => encodePayload(v);
const ROUTED = subjects.alertsRouted;
const ADMITTED = subjects.alertsAdmitted;
const WEBHOOK = subjects.notify('webhook');

describe('Handoff (one thread)', () => {
  const on = (mode: 'on' | 'verify' = 'on', limitBytes?: number, ttlMs?: number): Handoff => {
    const h = new Handoff();
    h.configure({ mode, ...(limitBytes ? { limitBytes } : {}), ...(ttlMs ? { ttlMs } : {}) });
    h.interest(ROUTED);
    return h;
  };

  it('hands the published object to the delivery of exactly its bytes, once', () => {
    const h = on();
    const payload = { alerts: [{ id: 'a' }] };
    const data = bytes(payload);
    expect(h.offer(ROUTED, 'm1', payload, data)).toBeDefined();
    // a copy of the bytes, as a delivery has
    expect(h.take(ROUTED, 'm1', Uint8Array.from(data))).toBe(payload);
    // a redelivery decodes its bytes
    expect(h.take(ROUTED, 'm1', data)).toBeUndefined();
    expect(h.stats).toMatchObject({ offered: 1, taken: 1 });
    expect(h.size()).toEqual({ entries: 0, bytes: 0 });
  });

  it('keeps nothing for subjects no consumer of this thread reads, nor when off', () => {
    const h = on();
    expect(h.offer(WEBHOOK, 'm1', { x: 1 }, bytes({ x: 1 }))).toBeUndefined();
    const release = h.interest(subjects.notifyAll);
    expect(h.offer(WEBHOOK, 'm1', { x: 1 }, bytes({ x: 1 }))).toBeDefined();
    release();
    release(); // twice is once
    expect(h.offer(WEBHOOK, 'm2', { x: 1 }, bytes({ x: 1 }))).toBeUndefined();
    const off = new Handoff();
    off.interest(ROUTED);
    expect(off.offer(ROUTED, 'm1', { x: 1 }, bytes({ x: 1 }))).toBeUndefined();
    expect(off.take(ROUTED, 'm1', bytes({ x: 1 }))).toBeUndefined();
  });

  it('decodes instead when the delivered bytes are not the published ones (same id, other content), or the subject differs', () => {
    const h = on();
    h.offer(ROUTED, 'm1', { n: 1 }, bytes({ n: 1 }));
    expect(h.take(ROUTED, 'm1', bytes({ n: 2 }))).toBeUndefined();
    h.offer(ROUTED, 'm2', { n: 1 }, bytes({ n: 1 }));
    expect(h.take(ADMITTED, 'm2', bytes({ n: 1 }))).toBeUndefined();
    expect(h.take(ROUTED, undefined, bytes({ n: 1 }))).toBeUndefined();
    expect(h.stats.taken).toBe(0);
    expect(h.stats.expired).toBe(1);
  });

  it('refuses past its size limit, forgets what its publish failed to store and what nobody took in time', async () => {
    const big = { s: 'x'.repeat(600) };
    const h = on('on', 1000, 100);
    expect(h.offer(ROUTED, 'a', big, bytes(big))).toBeDefined();
    expect(h.offer(ROUTED, 'b', big, bytes(big))).toBeUndefined();
    expect(h.stats.refused).toBe(1);
    const withdraw = h.offer(ROUTED, 'c', { n: 1 }, bytes({ n: 1 }))!;
    withdraw();
    expect(h.take(ROUTED, 'c', bytes({ n: 1 }))).toBeUndefined();
    await waitFor('the old entry swept', () => h.size().entries === 0, 5000);
    expect(h.offer(ROUTED, 'd', big, bytes(big))).toBeDefined();
    expect(h.stats.expired).toBe(2);
    h.clear();
  });

  it('verify mode: freezes what was offered and decodes every delivery, counting a payload its bytes do not reproduce', () => {
    const h = on('verify');
    const payload = { alerts: [{ labels: { a: '1' } }] };
    h.offer(ROUTED, 'm1', payload, bytes(payload));
    // (modules are strict: writing to a frozen object throws)
    expect(() => (payload.alerts[0]!.labels.a = '2')).toThrow(TypeError);
    expect(() => payload.alerts.push({ labels: { a: '3' } })).toThrow(TypeError);
    expect(h.take(ROUTED, 'm1', bytes(payload))).toBe(payload);
    // an undefined field vanishes in JSON: the decoded payload is used, and the difference counted
    const odd = { a: 1, b: undefined };
    h.offer(ROUTED, 'm2', odd, bytes(odd));
    const got = h.take(ROUTED, 'm2', bytes(odd));
    expect(got).not.toBe(odd);
    expect(got).toEqual({ a: 1 });
    expect(h.stats).toMatchObject({ taken: 1, mismatched: 1 });
  });

  it('matches NATS subject filters', () => {
    expect(subjectMatches('a.*', 'a.b')).toBe(true);
    expect(subjectMatches('a.*', 'a.b.c')).toBe(false);
    expect(subjectMatches('a.>', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.>', 'a')).toBe(false);
    expect(subjectMatches(subjects.notifyAll, WEBHOOK)).toBe(true);
    expect(subjectMatches(subjects.historyAll, subjects.history('t1', 'webhook'))).toBe(true);
    expect(subjectMatches(ROUTED, ROUTED)).toBe(true);
    expect(subjectMatches(ROUTED, ADMITTED)).toBe(false);
  });
});

describe('hand-off between a publisher and a consumer on one thread, against a real nats-server', () => {
  let nats: PrivateNats;
  let bus: BusConnection;
  const logger = createLogger('handoff-test', 'silent');
  const consumer: ConsumerDefinition = {
    stream: streams.routed.name,
    durable: 'test-handoff',
    filterSubject: subjects.alertsRouted,
    ackWaitSeconds: 5,
    maxDeliver: -1,
    maxAckPending: 100,
  };
  const Payload = z.object({ n: z.number() }).passthrough();

  beforeAll(async () => {
    nats = await startNats();
    bus = await connectBus({ url: nats.url, name: 'handoff-test', logger });
    await provision(bus.jsm, { streams: [streams.routed, streams.admitted, streams.dlq], consumers: [consumer] });
  });
  afterEach(() => handoff.configure({ mode: 'off' }));
  afterAll(async () => {
    await bus.close();
    await nats.stop();
  });

  it('the consumer gets the published object on the first delivery and a decoded copy on a redelivery; the message is stored all the same', async () => {
    const metrics = new Metrics('t');
    handoff.configure({ mode: 'on', metrics });
    const pub = createPublisher(bus);
    const seen: Array<{ payload: unknown; delivery: number; shared: boolean | undefined }> = [];
    const handle = await startConsumer(bus, pub, logger, metrics, {
      consumer,
      schema: Payload,
      quickCheck: (raw) => typeof raw === 'object' && raw !== null && 'n' in raw,
      dlqStage: 'aggregator',
      backoffBaseMs: 50,
      backoffMaxMs: 100,
      handler: async (p, ctx) => {
        seen.push({ payload: p, delivery: ctx.deliveryCount, shared: ctx.shared });
        if (p.n === 2 && ctx.deliveryCount === 1) throw new RetryableError('once');
        await Promise.resolve();
      },
    });
    const one = { n: 1, alerts: ['a'] };
    const two = { n: 2, alerts: ['b'] };
    await pub.publish(subjects.alertsRouted, one, { msgId: 'h1' });
    await pub.publish(subjects.alertsRouted, two, { msgId: 'h2' });
    // nobody on this thread consumes admitted: not kept
    await pub.publish(subjects.alertsAdmitted, { n: 3 }, { msgId: 'h3' });
    await waitFor('both handled, the second twice', () => seen.length === 3);
    expect(seen[0]!.payload).toBe(one);
    const twos = seen.filter((s) => (s.payload as { n: number }).n === 2);
    expect(twos.map((s) => s.delivery)).toEqual([1, 2]);
    expect(twos[0]!.payload).toBe(two);
    expect(twos[1]!.payload).not.toBe(two);
    expect(twos[1]!.payload).toEqual(two);
    // the handler is told which payloads it shares with their publisher (and must leave unchanged)
    expect(seen[0]!.shared).toBe(true);
    expect(twos.map((s) => s.shared)).toEqual([true, undefined]);
    // stored and acked through JetStream as always
    expect((await bus.jsm.streams.info(streams.routed.name)).state.last_seq).toBeGreaterThanOrEqual(2);
    expect(handoff.size().entries).toBe(0);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/nm_bus_handoff_total\{outcome="taken"\} 2/);
    expect(text).toMatch(/nm_bus_handoff_total\{outcome="offered"\} 2/);
    await handle.stop();
    // no consumer now: nothing is kept for the subject
    await pub.publish(subjects.alertsRouted, { n: 4 }, { msgId: 'h4' });
    expect(handoff.size().entries).toBe(0);
  });
  it('handoff: false — the consumer on this thread decodes the published bytes, not the payload given with them', async () => {
    handoff.configure({ mode: 'on' });
    const pub = createPublisher(bus);
    const seen: unknown[] = [];
    const handle = await startConsumer(bus, pub, logger, new Metrics('t'), {
      consumer,
      schema: Payload,
      quickCheck: (raw) => typeof raw === 'object' && raw !== null && 'n' in raw,
      dlqStage: 'aggregator',
      handler: (p) => {
        seen.push(p);
        return Promise.resolve();
      },
    });
    const header = { n: 5 };
    await pub.publish(subjects.alertsRouted, header, { msgId: 'h5', encoded: encodePayload({ n: 5, alerts: ['whole'] }), handoff: false });
    expect(handoff.size().entries).toBe(0);
    // (the message the test before left unconsumed comes first)
    await waitFor('handled', () => seen.some((p) => (p as { n: number }).n === 5));
    expect(seen.find((p) => (p as { n: number }).n === 5)).toEqual({ n: 5, alerts: ['whole'] });
    await handle.stop();
  });
});
