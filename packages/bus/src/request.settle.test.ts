import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RequestOne } from '@nats-io/nats-core/internal';
import { startNats, type PrivateNats } from '@nm/testing';
import { createLogger } from '@nm/telemetry';
import { streams, subjects } from '@nm/contracts';
import { connectBus, createPublisher, provision, skipSettledRequestErrors, type BusConnection } from './index.js';

/** A RequestOne on a stand-in multiplexer, its promise's rejections recorded. */
function request(timeoutMs = 60_000): { r: RequestOne; rejections: unknown[]; unregistered: () => number } {
  let unregistered = 0;
  const mux = { cancel: () => void (unregistered += 1) };
  const r = new RequestOne(mux as never, 'svc.test', { timeout: timeoutMs }, false);
  const rejections: unknown[] = [];
  const reject = r.deferred.reject.bind(r.deferred);
  r.deferred.reject = (err?: unknown) => {
    rejections.push(err);
    reject(err);
  };
  r.deferred.catch(() => undefined);
  r.timer.catch(() => undefined);
  return { r, rejections, unregistered: () => unregistered };
}

describe('no Error built after an answered request', () => {
  beforeAll(() => {
    expect(skipSettledRequestErrors()).toBe(true);
  });

  it('an answer resolves the request and unregisters it without rejecting it with a new error', async () => {
    const { r, rejections, unregistered } = request();
    r.resolver(null, { data: new Uint8Array() } as never);
    await expect(r.deferred).resolves.toBeDefined();
    expect(unregistered()).toBe(1);
    expect(rejections).toEqual([]); // the client's own cancel() rejected with RequestError("cancelled") here
  });

  it('an error answer still rejects with it; a cancel with an error or before any answer is the client\'s own', async () => {
    const failed = request();
    failed.r.resolver(new Error('no responders'), undefined as never);
    await expect(failed.r.deferred).rejects.toThrow('no responders');
    const cancelled = request();
    cancelled.r.cancel();
    await expect(cancelled.r.deferred).rejects.toThrow('cancelled');
    expect(cancelled.unregistered()).toBe(1);
    const withError = request();
    withError.r.cancel(new Error('publish failed'));
    await expect(withError.r.deferred).rejects.toThrow('publish failed');
  });

  describe('against a real nats-server', () => {
    let nats: PrivateNats;
    let bus: BusConnection;
    beforeAll(async () => {
      nats = await startNats();
      bus = await connectBus({ url: nats.url, name: 'request-settle-test', logger: createLogger('t', 'silent') });
      await provision(bus.jsm, { streams: [streams.routed], consumers: [] });
    });
    afterAll(async () => {
      await bus.close();
      await nats.stop();
    });

    it('requests, JetStream publishes and timeouts behave as before', async () => {
      const sub = bus.nc.subscribe('svc.echo', { callback: (_e, m) => void m.respond(m.data) });
      expect((await bus.nc.request('svc.echo', 'hi', { timeout: 2000 })).string()).toBe('hi');
      const acks = await Promise.all([1, 2, 3].map((n) => createPublisher(bus).publish(subjects.alertsRouted, { n }, { msgId: `rs-${n}` })));
      expect(acks.map((a) => a.seq).sort()).toEqual([1, 2, 3]);
      await expect(bus.nc.request('svc.nobody', 'x', { timeout: 300 })).rejects.toThrow();
      sub.unsubscribe();
    });
  });
});
