import { describe, expect, it } from '@jest/globals';
import { collected } from '@nm/testing';
import { subjects } from '@nm/contracts';
import { createPublisher, MessageTooLargeError, type BusConnection } from './index.js';

/** A bus whose JetStream acknowledges only when told: a publish waits as one does under load. */
function slowAckBus(): { bus: BusConnection; ack: () => void; published: Uint8Array[] } {
  const waiting: Array<() => void> = [];
  const published: Uint8Array[] = [];
  const bus = {
    nc: { info: { max_payload: 1024 * 1024 } },
    js: {
      publish: (_subject: string, data: Uint8Array) => {
        published.push(data);
        return new Promise((resolve) => waiting.push(() => resolve({ seq: published.length, duplicate: false })));
      },
    },
  } as unknown as BusConnection;
  return { bus, ack: () => waiting.splice(0).forEach((f) => f()), published };
}

describe('publisher', () => {
  it('keeps the bytes, not the payload, while JetStream has not acknowledged a publish', async () => {
    const { bus, ack, published } = slowAckBus();
    const pub = createPublisher(bus);
    let payload: { alerts: string[] } | undefined = { alerts: Array.from({ length: 1000 }, (_, i) => `alert-${i}`) };
    const ref = new WeakRef(payload);
    const done = pub.publish(subjects.alertsIngested, payload, { msgId: 'm1', handoff: false });
    payload = undefined;
    expect(await collected(ref)).toBe(true); // a suspended frame holding it would keep it until the ack
    ack();
    await expect(done).resolves.toEqual({ seq: 1, duplicate: false });
    expect(JSON.parse(Buffer.from(published[0]!).toString('utf8')).alerts).toHaveLength(1000);
  });

  it('rejects (does not throw) a message over max_payload and one it cannot serialise', async () => {
    const { bus } = slowAckBus();
    const pub = createPublisher(bus);
    await expect(pub.publish(subjects.alertsIngested, { big: 'x'.repeat(1024 * 1024) }, { msgId: 'm2' })).rejects.toThrow(MessageTooLargeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(pub.publish(subjects.alertsIngested, cyclic, { msgId: 'm3' })).rejects.toThrow(TypeError);
  });
});
