import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { collected, startNats, waitFor, type PrivateNats } from '@nm/testing';
import { createLogger, Metrics } from '@nm/telemetry';
import { headers, streams, subjects, type ConsumerDefinition } from '@nm/contracts';
import { z } from 'zod';
import {
  connectBus,
  createPublisher,
  PermanentError,
  provision,
  RetryableError,
  startConsumer,
  type BusConnection,
} from './index.js';

const logger = createLogger('bus-test', 'silent');
const Payload = z.object({ n: z.number() });

describe('bus against a real nats-server', () => {
  let nats: PrivateNats;
  let bus: BusConnection;
  const consumer: ConsumerDefinition = {
    stream: streams.ingested.name,
    durable: 'test-silencer',
    filterSubject: subjects.alertsIngested,
    ackWaitSeconds: 2,
    maxDeliver: -1,
    maxAckPending: 100,
  };

  beforeAll(async () => {
    nats = await startNats();
    bus = await connectBus({ url: nats.url, name: 'test', logger });
    await provision(bus.jsm, { streams: [streams.ingested, streams.dlq], consumers: [consumer] });
    // provisioning twice is harmless
    await provision(bus.jsm, { streams: [streams.ingested, streams.dlq], consumers: [consumer] });
  });
  afterAll(async () => {
    await bus.close();
    await nats.stop();
  });

  it('acks, retries retryable failures, dead-letters permanent and invalid ones, dedups msg ids', async () => {
    const pub = createPublisher(bus);
    const seen: Array<{ n: number; attempt: number }> = [];
    const inputs: unknown[] = [];
    const handle = await startConsumer(bus, pub, logger, new Metrics('t'), {
      consumer,
      schema: Payload,
      dlqStage: 'silencer',
      backoffBaseMs: 50,
      backoffMaxMs: 100,
      handler: async (p, ctx) => {
        seen.push({ n: p.n, attempt: ctx.deliveryCount });
        inputs.push(ctx.input);
        if (p.n === 2 && ctx.deliveryCount < 3) throw new RetryableError('flaky');
        if (p.n === 3) throw new PermanentError('bad credentials', { code: 'AUTH' });
        await Promise.resolve();
      },
    });
    const first = await pub.publish(subjects.alertsIngested, { n: 1 }, { msgId: 'm1' });
    const dup = await pub.publish(subjects.alertsIngested, { n: 1 }, { msgId: 'm1' });
    expect(first.duplicate).toBe(false);
    expect(dup.duplicate).toBe(true);
    await pub.publish(subjects.alertsIngested, { n: 2 }, { msgId: 'm2' });
    await pub.publish(subjects.alertsIngested, { n: 3 }, { msgId: 'm3' });
    await pub.publish(subjects.alertsIngested, { wrong: true }, { msgId: 'm4' });

    await waitFor('dead letters', async () => {
      const info = await bus.jsm.streams.info(streams.dlq.name);
      return info.state.messages === 2 ? info : undefined;
    });
    await waitFor('n=2 succeeded', () => seen.filter((s) => s.n === 2).length === 3);
    expect(seen.filter((s) => s.n === 1)).toEqual([{ n: 1, attempt: 1 }]);
    expect(seen.filter((s) => s.n === 2).map((s) => s.attempt)).toEqual([1, 2, 3]);
    // without a quick check the schema made the payload: no delivered bytes to forward
    expect(inputs.filter((i) => i !== undefined)).toEqual([]);

    const dl1 = await bus.jsm.streams.getMessage(streams.dlq.name, { seq: 1 });
    const dl2 = await bus.jsm.streams.getMessage(streams.dlq.name, { seq: 2 });
    const letters = [dl1, dl2].map((m) => m!.json<{ reason: string; code?: string; payload: unknown }>());
    expect(letters.map((l) => l.reason).sort()).toEqual(['invalid-payload', 'permanent-error']);
    expect(letters.find((l) => l.reason === 'permanent-error')).toMatchObject({ code: 'AUTH', payload: { n: 3 } });

    await waitFor('work queue drained', async () => {
      const info = await bus.jsm.streams.info(streams.ingested.name);
      return info.state.messages === 0;
    });
    await handle.stop();
  });

  it('slots: at most slots() handlers at once (read before each message starts), never more than concurrency', async () => {
    const pub = createPublisher(bus);
    let limit = 2;
    let running = 0;
    let most = 0;
    const release: Array<() => void> = [];
    const done: number[] = [];
    const handle = await startConsumer(bus, pub, logger, new Metrics('t'), {
      consumer,
      schema: Payload,
      dlqStage: 'silencer',
      concurrency: 6,
      slots: () => limit,
      handler: async (p) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((r) => release.push(r));
        running -= 1;
        done.push(p.n);
      },
    });
    let finished = false;
    try {
      for (let n = 0; n < 12; n++) await pub.publish(subjects.alertsIngested, { n }, { msgId: `slots-${n}` });
      await waitFor('two running', () => running === 2);
      await new Promise((r) => setTimeout(r, 300));
      expect(running).toBe(2); // the others, prefetched, wait for a slot
      limit = 100; // more than concurrency: six at most
      release.shift()!(); // a slot frees: the next messages read the new limit
      await waitFor('six running', () => running === 6);
      await new Promise((r) => setTimeout(r, 300));
      expect(most).toBe(6);
      limit = 1;
      while (release.length > 0) release.shift()!(); // the six finish; from now on one at a time
      await waitFor('one running', () => running === 1);
      while (done.length < 12) {
        expect(running).toBeLessThanOrEqual(1);
        await waitFor('a handler waiting', () => release.length > 0);
        release.shift()!();
        await new Promise((r) => setTimeout(r, 10));
      }
      finished = true;
    } finally {
      // on a failure, let every handler end so the consumer stops
      const drain = setInterval(() => release.splice(0).forEach((r) => r()), 5);
      limit = 100;
      if (!finished) await waitFor('every handler ended', () => done.length === 12).catch(() => undefined);
      clearInterval(drain);
      await handle.stop();
    }
  });

  it('with a quickCheck, trusts payloads that pass it, and runs the schema only when the handler trips (invalid: dead-lettered; valid: retried)', async () => {
    const pub = createPublisher(bus);
    const dlqBefore = (await bus.jsm.streams.info(streams.dlq.name)).state.messages;
    const seen: Array<{ payload: unknown; attempt: number; input: string | undefined }> = [];
    const handle = await startConsumer(bus, pub, logger, new Metrics('t'), {
      consumer,
      schema: Payload,
      quickCheck: (raw) => typeof raw === 'object' && raw !== null && 'n' in raw,
      dlqStage: 'silencer',
      backoffBaseMs: 50,
      backoffMaxMs: 100,
      handler: async (p, ctx) => {
        seen.push({ payload: p, attempt: ctx.deliveryCount, input: ctx.input ? Buffer.from(ctx.input).toString('utf8') : undefined });
        if (typeof p.n !== 'number') throw new TypeError('n.toFixed is not a function'); // tripped over an invalid payload
        if (p.n === 7 && ctx.deliveryCount < 2) throw new TypeError('a bug that goes away'); // valid payload: retried
        await Promise.resolve();
      },
    });
    await pub.publish(subjects.alertsIngested, { n: 5, extra: 'kept' }, { msgId: 'q1' });
    await pub.publish(subjects.alertsIngested, { n: 'five' }, { msgId: 'q2' });
    await pub.publish(subjects.alertsIngested, { n: 7 }, { msgId: 'q3' });
    await pub.publish(subjects.alertsIngested, { m: 1 }, { msgId: 'q4' }); // fails the quick check: the schema runs first
    await waitFor('two new dead letters', async () => (await bus.jsm.streams.info(streams.dlq.name)).state.messages === dlqBefore + 2);
    await waitFor('n=7 handled twice', () => seen.filter((s) => (s.payload as { n: unknown }).n === 7).length === 2);
    // trusted: the handler saw the payload as published (the schema would have stripped `extra`)
    expect(seen.find((s) => (s.payload as { n: unknown }).n === 5)?.payload).toEqual({ n: 5, extra: 'kept' });
    // …and the bytes it was decoded from, for a handler that forwards them unchanged
    expect(seen.find((s) => (s.payload as { n: unknown }).n === 5)?.input).toBe('{"n":5,"extra":"kept"}');
    // the one that failed the quick check never reached the handler
    expect(seen.some((s) => 'm' in (s.payload as object))).toBe(false);
    const letters = await Promise.all(
      [dlqBefore + 1, dlqBefore + 2].map(async (seq) => (await bus.jsm.streams.getMessage(streams.dlq.name, { seq }))!.json<{ reason: string; payload: unknown }>()),
    );
    expect(letters.map((l) => [l.reason, l.payload]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      ['invalid-payload', { m: 1 }],
      ['invalid-payload', { n: 'five' }],
    ]);
    await handle.stop();
  });

  it('undecoded: a message the handler accepts by its headers reaches it as bytes, never decoded; a failure of no known kind re-validates it', async () => {
    const pub = createPublisher(bus);
    const dlqBefore = (await bus.jsm.streams.info(streams.dlq.name)).state.messages;
    const decoded: unknown[] = [];
    const raw: Array<{ text: string; count: string | undefined; msgId: string }> = [];
    const handle = await startConsumer(bus, pub, logger, new Metrics('t'), {
      consumer,
      schema: Payload,
      quickCheck: (v) => typeof v === 'object' && v !== null && 'n' in v,
      dlqStage: 'silencer',
      backoffBaseMs: 50,
      backoffMaxMs: 100,
      handler: async (p) => {
        decoded.push(p);
        await Promise.resolve();
      },
      undecoded: {
        accepts: (m) => m.header(headers.alertCount) !== undefined && m.byteLength < 100,
        handle: async (ctx, header) => {
          const text = Buffer.from(ctx.input).toString('utf8');
          raw.push({ text, count: header(headers.alertCount), msgId: ctx.msgId });
          if (text === '{"n":9}' && ctx.deliveryCount < 2) throw new TypeError('a bug'); // valid once decoded: retried
          if (text.startsWith('garbage')) throw new TypeError('tripped over it');
          await Promise.resolve();
        },
      },
    });
    // not JSON at all, yet accepted by its header: had it been decoded, it would have been dead-lettered before any handler
    await pub.publish(subjects.alertsIngested, undefined, { msgId: 'u1', encoded: Buffer.from('not json, never parsed'), alertCount: 3, handoff: false });
    await pub.publish(subjects.alertsIngested, { n: 1 }, { msgId: 'u2' }); // no count: decoded
    await pub.publish(subjects.alertsIngested, { n: 2, pad: 'x'.repeat(200) }, { msgId: 'u3', alertCount: 1 }); // refused by size: decoded
    await pub.publish(subjects.alertsIngested, { n: 9 }, { msgId: 'u4', alertCount: 1 });
    await pub.publish(subjects.alertsIngested, undefined, { msgId: 'u5', encoded: Buffer.from('garbage'), alertCount: 1, handoff: false });
    await waitFor('a new dead letter', async () => (await bus.jsm.streams.info(streams.dlq.name)).state.messages === dlqBefore + 1);
    await waitFor('u4 handled twice', () => raw.filter((r) => r.msgId === 'u4').length === 2);
    expect(raw.find((r) => r.msgId === 'u1')).toEqual({ text: 'not json, never parsed', count: '3', msgId: 'u1' });
    expect(decoded).toEqual([{ n: 1 }, { n: 2, pad: 'x'.repeat(200) }]);
    const letter = (await bus.jsm.streams.getMessage(streams.dlq.name, { seq: dlqBefore + 1 }))!.json<{ reason: string; error: string }>();
    expect(letter.reason).toBe('invalid-payload');
    expect(letter.error).toMatch(/not JSON/);
    await handle.stop();
  });

  it('keeps no decoded payload alive while a handler waits, and still re-validates one that trips the handler', async () => {
    const pub = createPublisher(bus);
    let ref: WeakRef<object> | undefined;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let seen = 0;
    const handle = await startConsumer(bus, pub, logger, new Metrics('t'), {
      consumer,
      schema: Payload,
      quickCheck: (raw) => typeof raw === 'object' && raw !== null && 'n' in raw,
      dlqStage: 'silencer',
      // written as the aggregator's is: the waiting promise does not hold the payload
      handler: (p) => {
        seen += 1;
        if (p.n === 11) {
          ref = new WeakRef(p);
          return gate;
        }
        return Promise.reject(new TypeError('tripped')); // n is not a number: re-validated, dead-lettered
      },
    });
    const dlqBefore = (await bus.jsm.streams.info(streams.dlq.name)).state.messages;
    await pub.publish(subjects.alertsIngested, { n: 11, big: 'x'.repeat(10_000) }, { msgId: 'gc-1' });
    await waitFor('the handler waiting', () => ref !== undefined);
    expect(await collected(ref!)).toBe(true);
    release();
    await pub.publish(subjects.alertsIngested, { n: 'eleven' }, { msgId: 'gc-2' });
    await waitFor('the invalid one dead-lettered', async () => (await bus.jsm.streams.info(streams.dlq.name)).state.messages === dlqBefore + 1);
    expect(seen).toBe(2);
    await handle.stop();
  });

  it('releaseBytes: a held message keeps no bytes (no ctx.input); its dead letter and its re-validation read it back from the stream', async () => {
    const pub = createPublisher(bus);
    const dlqBefore = (await bus.jsm.streams.info(streams.dlq.name)).state.messages;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inputs: unknown[] = [];
    const seen: Array<{ n: unknown; delivery: number }> = [];
    const handle = await startConsumer(bus, pub, logger, new Metrics('t'), {
      consumer,
      schema: Payload,
      quickCheck: (raw) => typeof raw === 'object' && raw !== null && 'n' in raw,
      dlqStage: 'aggregator',
      releaseBytes: true,
      backoffBaseMs: 50,
      backoffMaxMs: 100,
      handler: async (p, ctx) => {
        inputs.push(ctx.input);
        seen.push({ n: p.n, delivery: ctx.deliveryCount });
        await gate; // held, as the aggregator holds a message until its groups are published
        if (p.n === 21) throw new PermanentError('cannot deliver', { code: 'NOPE' });
        if (typeof p.n !== 'number') throw new TypeError('n.toFixed is not a function'); // invalid: re-validated
        if (p.n === 23 && ctx.deliveryCount === 1) throw new TypeError('a bug that goes away'); // valid: retried
      },
    });
    // count the reads back from the stream (the delivered bytes are gone by then)
    const streamsApi = bus.jsm.streams as unknown as { getMessage: (...a: unknown[]) => Promise<unknown> };
    const getMessage = streamsApi.getMessage;
    const readBack: unknown[] = [];
    streamsApi.getMessage = function (this: unknown, ...a: unknown[]) {
      readBack.push(a[1]);
      return getMessage.apply(this, a);
    };
    await pub.publish(subjects.alertsIngested, { n: 21, extra: 'x'.repeat(2000) }, { msgId: 'rb-1' });
    await pub.publish(subjects.alertsIngested, { n: 'twenty-two' }, { msgId: 'rb-2' });
    await pub.publish(subjects.alertsIngested, { n: 23 }, { msgId: 'rb-3' });
    await waitFor('all three held', () => seen.length === 3);
    release();
    await waitFor('two dead letters', async () => (await bus.jsm.streams.info(streams.dlq.name)).state.messages === dlqBefore + 2);
    await waitFor('n=23 handled again', () => seen.filter((x) => x.n === 23).length === 2);
    streamsApi.getMessage = getMessage;
    expect(inputs.every((i) => i === undefined)).toBe(true);
    // the permanent failure's dead letter, and the re-validation (and then dead letter) of the invalid one
    expect(readBack.length).toBeGreaterThanOrEqual(3);
    const letters = await Promise.all(
      [dlqBefore + 1, dlqBefore + 2].map(async (seq) => (await bus.jsm.streams.getMessage(streams.dlq.name, { seq }))!.json<{ reason: string; payload: unknown; code?: string }>()),
    );
    const byReason = Object.fromEntries(letters.map((l) => [l.reason, l]));
    // the payloads, read back from the stream after the delivered bytes were let go
    expect(byReason['permanent-error']?.payload).toEqual({ n: 21, extra: 'x'.repeat(2000) });
    expect(byReason['permanent-error']?.code).toBe('NOPE');
    expect(byReason['invalid-payload']?.payload).toEqual({ n: 'twenty-two' });
    await waitFor('the retried one acked', async () => (await bus.jsm.consumers.info(streams.ingested.name, consumer.durable)).num_ack_pending === 0);
    await handle.stop();
  });
});
