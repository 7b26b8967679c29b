import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNats, waitFor, type PrivateNats } from '@nm/testing';
import { createLogger } from '@nm/telemetry';
import { streams, subjects } from '@nm/contracts';
import { connectBus, createPublisher, provision, type BusConnection } from './index.js';

const logger = createLogger('coalesce-test', 'silent');
type Corkable = { writableCorked: number; _writev?: unknown; _write: unknown };
const socketOf = (bus: BusConnection): Corkable => (bus.nc as unknown as { protocol: { transport: { socket: Corkable } } }).protocol.transport.socket;
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('socket writes coalesced per event-loop turn, against a real nats-server', () => {
  let nats: PrivateNats;
  let bus: BusConnection;
  beforeAll(async () => {
    nats = await startNats();
    bus = await connectBus({ url: nats.url, name: 'coalesce-test', logger });
    await provision(bus.jsm, { streams: [streams.routed], consumers: [] });
  });
  afterAll(async () => {
    await bus.close();
    await nats.stop();
  });

  it('holds the turn\'s writes in the socket until the turn ends, then sends them in one call; nothing is lost or reordered', async () => {
    const got: string[] = [];
    const sub = bus.nc.subscribe('coalesce.test', { callback: (_e, m) => void got.push(m.string()) });
    await bus.nc.flush();
    await nextTurn();
    const socket = socketOf(bus);
    expect(socket.writableCorked).toBe(0);
    // writes of one turn, each in its own microtask checkpoint of the client
    const calls: string[] = [];
    const s = socket as unknown as Record<string, (...a: unknown[]) => unknown>;
    const write = s._write!;
    const writev = s._writev!;
    s._write = function (this: unknown, ...a: unknown[]) {
      calls.push('write');
      return write.apply(this, a);
    };
    s._writev = function (this: unknown, ...a: unknown[]) {
      calls.push('writev');
      return writev.apply(this, a);
    };
    try {
      for (let i = 0; i < 5; i++) {
        bus.nc.publish('coalesce.test', `m${i}`);
        await Promise.resolve();
        await new Promise<void>((r) => queueMicrotask(r));
      }
      expect(socket.writableCorked).toBe(1);
      expect(calls).toEqual([]);
      await nextTurn();
      expect(socket.writableCorked).toBe(0);
      expect(calls).toEqual(['writev']);
    } finally {
      s._write = write;
      s._writev = writev;
    }
    await waitFor('all five', () => got.length === 5);
    expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    sub.unsubscribe();
  });

  it('JetStream publishes are acknowledged as before, and coalescing holds on the new socket after a reconnect', async () => {
    const pub = createPublisher(bus);
    const acks = await Promise.all([1, 2, 3].map((n) => pub.publish(subjects.alertsRouted, { n }, { msgId: `c-${n}` })));
    expect(acks.map((a) => a.duplicate)).toEqual([false, false, false]);
    const before = socketOf(bus);
    await nats.restart();
    await waitFor('reconnected', async () => {
      try {
        await bus.nc.flush();
        return socketOf(bus) !== before;
      } catch {
        return false;
      }
    }, 20_000);
    await nextTurn();
    bus.nc.publish('coalesce.after', 'x');
    await new Promise<void>((r) => queueMicrotask(r)); // the client writes at its microtask checkpoint
    expect(socketOf(bus).writableCorked).toBe(1);
    await nextTurn();
    expect(socketOf(bus).writableCorked).toBe(0);
    const again = await pub.publish(subjects.alertsRouted, { n: 4 }, { msgId: 'c-4' });
    expect(again.seq).toBe(4);
  });
});
