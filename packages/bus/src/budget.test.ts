import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNats, waitFor, type PrivateNats } from '@nm/testing';
import { createLogger, Metrics } from '@nm/telemetry';
import { streams, subjects, type ConsumerDefinition, type DeadLetter } from '@nm/contracts';
import { z } from 'zod';
import {
  connectBus,
  createPublisher,
  fitParts,
  memoryAttemptStore,
  MessageTooLargeError,
  provision,
  publishFitted,
  RetryableError,
  startConsumer,
  WaitError,
  classifyError,
  type BusConnection,
} from './index.js';

const logger = createLogger('bus-test', 'silent');

describe('fitParts', () => {
  const build = (part: readonly string[]): unknown => ({ header: 'h', items: part });
  it('keeps one part when it fits, and splits in order when it does not', () => {
    const items = Array.from({ length: 100 }, (_, i) => `${i}`.padStart(100, 'x'));
    expect(fitParts(items, build, 1_000_000)).toHaveLength(1);
    const parts = fitParts(items, build, 1000);
    expect(parts.length).toBeGreaterThan(10);
    expect(parts.flatMap((p) => p.items)).toEqual(items);
    for (const p of parts) expect(JSON.stringify(p.payload).length).toBeLessThanOrEqual(1000);
  });
  it('rejects an item that cannot fit alone as a permanent failure', () => {
    let caught: unknown;
    try {
      fitParts(['small', 'y'.repeat(5000)], build, 1000);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MessageTooLargeError);
    expect(classifyError(caught).kind).toBe('permanent');
    expect(classifyError(caught).code).toBe('MESSAGE_TOO_LARGE');
  });
  it('classifies waits apart from retryable failures', () => {
    expect(classifyError(new WaitError('redis away')).kind).toBe('wait');
    expect(classifyError(new RetryableError('503')).kind).toBe('retryable');
  });
});

describe('retry budget and message size against a real nats-server', () => {
  let nats: PrivateNats;
  let bus: BusConnection;
  const consumer: ConsumerDefinition = {
    stream: streams.admitted.name,
    durable: 'test-budget',
    filterSubject: subjects.alertsAdmitted,
    ackWaitSeconds: 5,
    maxDeliver: -1,
    maxAckPending: 100,
  };
  const dlqOf = async (): Promise<DeadLetter[]> => {
    const info = await bus.jsm.streams.info(streams.dlq.name);
    const out: DeadLetter[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await bus.jsm.streams.getMessage(streams.dlq.name, { seq }).catch(() => undefined);
      if (m) out.push(m.json<DeadLetter>());
    }
    return out;
  };

  beforeAll(async () => {
    nats = await startNats();
    bus = await connectBus({ url: nats.url, name: 'test', logger });
    await provision(bus.jsm, { streams: [streams.admitted, streams.dlq], consumers: [consumer] });
  });
  afterAll(async () => {
    await bus.close();
    await nats.stop();
  });

  it('spends the budget on attempts only: waits on infrastructure never dead-letter, failures do', async () => {
    const pub = createPublisher(bus);
    const seen = new Map<string, Array<{ attempt: number; deliveries: number }>>();
    const handle = await startConsumer(bus, pub, logger, new Metrics('t1'), {
      consumer,
      schema: z.object({ kind: z.string() }),
      dlqStage: 'router',
      maxAttempts: 3,
      backoffBaseMs: 20,
      backoffMaxMs: 40,
      waitBaseMs: 20,
      waitMaxMs: 40,
      attempts: memoryAttemptStore(),
      handler: (p, ctx) => {
        const list = seen.get(p.kind) ?? [];
        list.push({ attempt: ctx.attempt, deliveries: ctx.deliveryCount });
        seen.set(p.kind, list);
        // six waits (twice the budget), then it succeeds
        if (p.kind === 'waits' && ctx.deliveryCount <= 6) return Promise.reject(new WaitError('redis unavailable', { code: 'REDIS_UNAVAILABLE' }));
        // one wait, then failures until the budget is spent
        if (p.kind === 'fails' && ctx.deliveryCount === 1) return Promise.reject(new WaitError('config not loaded'));
        if (p.kind === 'fails') return Promise.reject(new RetryableError('upstream 503', { code: 'HTTP_503' }));
        return Promise.resolve();
      },
    });
    await pub.publish(subjects.alertsAdmitted, { kind: 'waits' }, { msgId: 'w1' });
    await pub.publish(subjects.alertsAdmitted, { kind: 'fails' }, { msgId: 'f1' });
    await waitFor('work queue drained', async () => (await bus.jsm.streams.info(streams.admitted.name)).state.messages === 0, 20_000);
    await handle.stop();

    const waits = seen.get('waits')!;
    expect(waits).toHaveLength(7); // handled on the 7th delivery, not dead-lettered after 3
    expect(waits.every((s) => s.attempt === 1)).toBe(true);
    const fails = seen.get('fails')!;
    // delivery 1 waited (attempt 1, not spent); deliveries 2..4 spent attempts 1..3
    expect(fails.map((s) => s.attempt)).toEqual([1, 1, 2, 3]);
    const letters = await dlqOf();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ reason: 'retries-exhausted', code: 'HTTP_503', attempts: 3, deliveries: 4, payload: { kind: 'fails' } });
  });

  it('splits an output larger than max_payload into parts that all arrive, and keeps an oversized dead letter visible', async () => {
    const pub = createPublisher(bus);
    expect(pub.maxPayload?.()).toBe(1024 * 1024); // from the server's INFO
    // ~3 MiB of items: one message would be refused by the server
    const items = Array.from({ length: 3000 }, (_, i) => ({ i, text: 'z'.repeat(1000) }));
    const received: number[] = [];
    const sizes: number[] = [];
    const handle = await startConsumer(bus, pub, logger, new Metrics('t2'), {
      consumer,
      schema: z.object({ items: z.array(z.object({ i: z.number(), text: z.string() })) }),
      dlqStage: 'router',
      handler: (p) => {
        received.push(...p.items.map((x) => x.i));
        sizes.push(JSON.stringify(p).length);
        return Promise.resolve();
      },
    });
    const count = await publishFitted(pub, subjects.alertsAdmitted, items, (part) => ({ items: part }), {
      msgId: (k, n) => `big-${k}-of-${n}`,
    });
    expect(count).toBeGreaterThanOrEqual(3);
    await waitFor('all parts consumed', () => received.length === items.length, 20_000);
    expect([...received].sort((a, b) => a - b)).toEqual(items.map((x) => x.i));
    expect(sizes).toHaveLength(count);
    await handle.stop();

    // a message near max_payload dead-lettered: the dead letter itself must fit, so its payload is cut
    const before = (await dlqOf()).length;
    const failing = await startConsumer(bus, pub, logger, new Metrics('t3'), {
      consumer,
      schema: z.object({ blob: z.string() }),
      dlqStage: 'router',
      handler: () => Promise.reject(new MessageTooLargeError('output cannot fit')),
    });
    await pub.publish(subjects.alertsAdmitted, { blob: 'b'.repeat(1024 * 1024 - 4096) }, { msgId: 'blob' });
    await waitFor('dead letter written', async () => ((await dlqOf()).length > before ? true : undefined), 20_000);
    await failing.stop();
    const dl = (await dlqOf()).at(-1)!;
    expect(dl).toMatchObject({ reason: 'permanent-error', code: 'MESSAGE_TOO_LARGE' });
    expect(dl.payloadTruncated?.bytes).toBeGreaterThan(1024 * 1000);
    expect(typeof dl.payload).toBe('string');
  });
});
