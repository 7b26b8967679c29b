import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PAYLOAD_VERSION, senderConsumer, subjects, type Notification } from '@nm/contracts';
import { createRuntime, type Runtime } from '@nm/service-kit';
import { startNats, startRedis, waitFor, type PrivateNats, type PrivateRedis } from '@nm/testing';
import { NotifyBacklog } from './notify.backlog.js';

const notification = (i: number): Notification => ({
  version: PAYLOAD_VERSION,
  id: `backlog-${i}`,
  createdAt: new Date().toISOString(),
  receiver: { name: 'r', channel: 'webhook', tenant: 'ns' },
  groupKey: 'g',
  groupLabels: {},
  alerts: [
    { id: `a${i}`, status: 'firing', labels: { alertname: 'A' }, annotations: {}, startsAt: '', endsAt: '', fingerprint: '0123456789abcdef', receivedAt: '' },
  ],
  part: { index: 0, count: 1 },
  source: 'alerts-array',
});

describe('NotifyBacklog against a real nats-server', () => {
  let nats: PrivateNats;
  let redis: PrivateRedis;
  let rt: Runtime;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    rt = createRuntime({ service: 'aggregator', natsUrl: nats.url, redisUrl: redis.url, secretKey: 'backlog-test-secret-key', logLevel: 'silent', readConfig: false });
    await rt.connected;
  }, 60_000);
  afterAll(async () => {
    await rt?.close();
    await nats?.stop();
    await redis?.stop();
  });

  it("reads the notifications no sender of a channel has taken yet, per channel, and follows them", async () => {
    const backlog = NotifyBacklog.of(await rt.connected);
    backlog.start();
    try {
      expect(backlog.of('webhook')).toBe(0); // unknown yet: polled from now on
      for (let i = 0; i < 7; i++) await rt.publisher.publish(subjects.notify('webhook'), notification(i), { msgId: `n-${i}` });
      await waitFor('webhook backlog of 7', () => backlog.of('webhook') === 7, 10_000);
      expect(backlog.of('slack')).toBe(0); // another channel's consumer has nothing
      await new Promise((r) => setTimeout(r, 600)); // a few polls later
      expect(backlog.of('slack')).toBe(0);
      // a sender takes 4 and has not finished them: in its hands, no longer a backlog
      const bus = await rt.connected;
      const def = senderConsumer('webhook');
      const consumer = await bus.js.consumers.get(def.stream, def.durable);
      const taken: Array<{ ack(): void }> = [];
      for await (const m of await consumer.fetch({ max_messages: 4, expires: 2000 })) {
        taken.push(m);
        if (taken.length === 4) break;
      }
      await waitFor('webhook backlog of the 3 not taken', () => backlog.of('webhook') === 3, 10_000);
      // drained by a sender: the backlog follows
      for (const m of taken) m.ack();
      let rest = 0;
      for await (const m of await consumer.fetch({ max_messages: 3, expires: 2000 })) {
        m.ack();
        if (++rest === 3) break;
      }
      await waitFor('webhook backlog drained', () => backlog.of('webhook') === 0, 10_000);
    } finally {
      backlog.stop();
    }
  });
});
