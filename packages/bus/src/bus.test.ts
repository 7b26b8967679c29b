import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNats, waitFor, type PrivateNats } from '@nm/testing';
import { createLogger, Metrics } from '@nm/telemetry';
import { streams, subjects, type ConsumerDefinition } from '@nm/contracts';
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
    const handle = await startConsumer(bus, pub, logger, new Metrics('t'), {
      consumer,
      schema: Payload,
      dlqStage: 'silencer',
      backoffBaseMs: 50,
      backoffMaxMs: 100,
      handler: async (p, ctx) => {
        seen.push({ n: p.n, attempt: ctx.deliveryCount });
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
});
