import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNats, type PrivateNats } from '@nm/testing';
import { createLogger } from '@nm/telemetry';
import { streams } from '@nm/contracts';
import { connectBus, createPublisher, createStreamReader, provision, type BusConnection, type StreamReader } from './index.js';

const logger = createLogger('reader-test', 'silent');

describe('stream reader against a real nats-server', () => {
  let nats: PrivateNats;
  let bus: BusConnection;
  let reader: StreamReader;
  const stream = streams.dlq.name;

  beforeAll(async () => {
    nats = await startNats();
    bus = await connectBus({ url: nats.url, name: 'reader-test', logger });
    await provision(bus.jsm, { streams: [streams.dlq], consumers: [] });
    reader = createStreamReader(bus.jsm);
  });
  afterAll(async () => {
    await bus.close();
    await nats.stop();
  });

  it('answers empty on an empty stream', async () => {
    expect(await reader.latest(stream, 'nm.dlq.>', 10)).toEqual([]);
    expect(await reader.get(stream, 1)).toBeNull();
  });

  it('lists newest first, filters by subject, limits, gets and removes by sequence', async () => {
    const pub = createPublisher(bus);
    // 300 messages: every 100th on a rare subject, so the backward windows have to grow.
    for (let n = 1; n <= 300; n++) {
      const subject = n % 100 === 0 ? 'nm.dlq.rare' : n % 2 === 0 ? 'nm.dlq.even' : 'nm.dlq.odd';
      await pub.publish(subject, { n }, { msgId: `m${n}` });
    }
    const all = await reader.latest(stream, 'nm.dlq.>', 5);
    expect(all.map((e) => (JSON.parse(e.data) as { n: number }).n)).toEqual([300, 299, 298, 297, 296]);
    expect(all.map((e) => e.seq)).toEqual([300, 299, 298, 297, 296]);
    expect(all[0]!.subject).toBe('nm.dlq.rare');
    expect(Number.isNaN(Date.parse(all[0]!.time))).toBe(false);

    const odd = await reader.latest(stream, 'nm.dlq.odd', 3);
    expect(odd.map((e) => e.seq)).toEqual([299, 297, 295]);

    const rare = await reader.latest(stream, 'nm.dlq.rare', 10);
    expect(rare.map((e) => e.seq)).toEqual([300, 200, 100]);
    expect(await reader.latest(stream, 'nm.dlq.none', 10)).toEqual([]);
    expect(await reader.latest(stream, 'nm.dlq.>', 0)).toEqual([]);
    expect(await reader.latest(stream, 'nm.dlq.>', 1000)).toHaveLength(300);

    const got = await reader.get(stream, 200);
    expect(got).toMatchObject({ seq: 200, subject: 'nm.dlq.rare', data: JSON.stringify({ n: 200 }) });
    expect(await reader.get(stream, 999)).toBeNull();
    expect(await reader.get(stream, 0)).toBeNull();

    expect(await reader.remove(stream, 200)).toBe(true);
    expect(await reader.remove(stream, 200)).toBe(false);
    expect(await reader.get(stream, 200)).toBeNull();
    expect((await reader.latest(stream, 'nm.dlq.rare', 10)).map((e) => e.seq)).toEqual([300, 100]);
    expect((await reader.latest(stream, 'nm.dlq.>', 3)).map((e) => e.seq)).toEqual([300, 299, 298]);
  });
});
