import { describe, expect, it } from '@jest/globals';
import { BusUnavailableError, type Publisher, type PublishOptions } from '@nm/bus';
import type { IngestedBatch } from '@nm/contracts';
import { emptySnapshot } from '@nm/model';
import { createLogger, Metrics } from '@nm/telemetry';
import { EventExporter } from './event.exporter.js';
import { memoryOccurrenceStore } from './occurrence.store.js';

const logger = createLogger('event-exporter-unit', 'silent');
const T0 = Date.parse('2024-05-01T10:00:00Z');

const coreEvent = (uid: string, opts: { count?: number; at?: number; type?: string } = {}) => ({
  metadata: { name: `e-${uid}`, namespace: 'team-a', uid },
  involvedObject: { kind: 'Pod', namespace: 'team-a', name: 'web-0', apiVersion: 'v1' },
  reason: 'BackOff',
  message: 'Back-off',
  source: { component: 'kubelet' },
  lastTimestamp: new Date(opts.at ?? T0).toISOString(),
  count: opts.count ?? 1,
  type: opts.type ?? 'Warning',
});

function setup(opts: { failPublishes?: number } = {}) {
  let clock = T0 + 1000;
  let fail = opts.failPublishes ?? 0;
  const sent: Array<{ payload: IngestedBatch; opts: PublishOptions }> = [];
  const publisher: Publisher = {
    publish: (_subject, payload, o) => {
      if (fail > 0) {
        fail -= 1;
        return Promise.reject(new BusUnavailableError('NATS is not connected'));
      }
      sent.push({ payload: payload as IngestedBatch, opts: o });
      return Promise.resolve({ seq: sent.length, duplicate: false });
    },
  };
  const store = memoryOccurrenceStore();
  const exporter = new EventExporter(
    { publisher, store, snapshot: () => emptySnapshot(1), configLoaded: () => true, isLeader: () => true, logger, metrics: new Metrics('t'), now: () => clock },
    { intervalMs: 60_000, maxAgeMs: 3_600_000, initialLookbackMs: 60_000 },
  );
  return { exporter, sent, store, tick: (ms: number) => (clock += ms), alerts: () => sent.flatMap((s) => s.payload.alerts) };
}

describe('EventExporter', () => {
  it('the same event seen through both APIs (one uid) is one alert', async () => {
    const { exporter, alerts } = setup();
    exporter.offer(coreEvent('u1'), 'core/v1');
    exporter.offer({ apiVersion: 'events.k8s.io/v1', metadata: { name: 'e-u1', namespace: 'team-a', uid: 'u1' }, regarding: { kind: 'Pod', namespace: 'team-a', name: 'web-0' }, reason: 'BackOff', note: 'Back-off', deprecatedLastTimestamp: new Date(T0).toISOString(), deprecatedCount: 1, type: 'Warning' }, 'events.k8s.io/v1');
    expect(await exporter.flush()).toMatchObject({ exported: 1 });
    exporter.offer(coreEvent('u1'), 'events.k8s.io/v1');
    expect(await exporter.flush()).toMatchObject({ exported: 0, duplicate: 1 });
    expect(alerts()).toHaveLength(1);
  });

  it('history is not news: occurrences before the first start (less the lookback) or older than maxAge are stale', async () => {
    const { exporter, tick, alerts } = setup();
    exporter.offer(coreEvent('old', { at: T0 - 120_000 }));
    exporter.offer(coreEvent('recent', { at: T0 - 30_000 }));
    expect(await exporter.flush()).toMatchObject({ exported: 1, stale: 1 });
    tick(2 * 3_600_000);
    exporter.offer(coreEvent('recent', { at: T0 - 30_000, count: 2 }));
    expect(await exporter.flush()).toMatchObject({ exported: 0, stale: 1 });
    expect(alerts().map((a) => a.annotations['eventName'])).toEqual(['e-recent']);
  });

  it('a failed publish keeps the batch queued; the retry publishes it under the same message and alert ids', async () => {
    const { exporter, sent } = setup({ failPublishes: 1 });
    exporter.offer(coreEvent('u1'));
    exporter.offer(coreEvent('u2'));
    await expect(exporter.flush()).rejects.toThrow(BusUnavailableError);
    expect(exporter.queueLength).toBe(2);
    expect(await exporter.flush()).toMatchObject({ exported: 2 });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.opts.msgId).toMatch(/^ev-[0-9a-f]{24}-0$/);
    const again = setup();
    again.exporter.offer(coreEvent('u2'));
    again.exporter.offer(coreEvent('u1'));
    await again.exporter.flush();
    expect(again.sent[0]!.opts.msgId).toBe(sent[0]!.opts.msgId);
    expect(again.alerts().map((a) => a.id).sort()).toEqual(sent[0]!.payload.alerts.map((a) => a.id).sort());
  });

  it('nothing is decided before the configuration is loaded, nor by a replica that does not lead', async () => {
    let loaded = false;
    let leading = false;
    const store = memoryOccurrenceStore();
    const sent: unknown[] = [];
    const exporter = new EventExporter({
      publisher: { publish: (_s, p) => (sent.push(p), Promise.resolve({ seq: 1, duplicate: false })) },
      store,
      snapshot: () => emptySnapshot(1),
      configLoaded: () => loaded,
      isLeader: () => leading,
      logger,
      metrics: new Metrics('t'),
      now: () => T0,
    });
    exporter.offer(coreEvent('u1'));
    expect(exporter.queueLength).toBe(0); // a follower keeps nothing: the leader decides
    leading = true;
    exporter.resync([coreEvent('u1')]);
    expect(await exporter.flush()).toMatchObject({ exported: 0 });
    expect(exporter.queueLength).toBe(1);
    loaded = true;
    expect(await exporter.flush()).toMatchObject({ exported: 1 });
    expect(sent).toHaveLength(1);
  });
});
