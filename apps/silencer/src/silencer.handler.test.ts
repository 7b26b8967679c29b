import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { AdmittedBatchSchema, headers, PAYLOAD_VERSION, subjects, type AdmittedBatch, type Alert, type IngestedBatch } from '@nm/contracts';
import { inline, type HandlerContext, type Publisher } from '@nm/bus';
import { emptySnapshot, fingerprint, type ConfigSnapshot, type InhibitRule, type Silence } from '@nm/model';
import { startRedis, type PrivateRedis } from '@nm/testing';
import { createLogger, Metrics } from '@nm/telemetry';
import { InhibitionStore } from '@nm/config-store';
import { createSilencer, createSilencerHandler } from './silencer.handler.js';

const ctx = { logger: createLogger('t', 'silent') } as unknown as HandlerContext;
const alert = (id: string, labels: Record<string, string>): Alert => ({
  id,
  status: 'firing',
  labels,
  annotations: {},
  startsAt: '2026-11-22T00:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  fingerprint: fingerprint(labels),
  receivedAt: '2026-11-22T00:00:00Z',
});
const ingested = (alerts: Alert[]): IngestedBatch => ({
  version: PAYLOAD_VERSION,
  batchId: `b${Math.random()}`,
  chunk: { index: 0, count: 1 },
  source: 'alerts-array',
  receivedAt: '2026-11-22T00:00:00Z',
  alerts,
});
const meta = (name: string, labels: Record<string, string>) => ({ apiVersion: 'notification.kubesphere.io/v2beta2', metadata: { name, labels } });

describe('silencer handler', () => {
  let redis: PrivateRedis;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });

  it('drops globally silenced and inhibited alerts, forwards the rest, and marks tenant inhibitions for the router', async () => {
    const snapshot: ConfigSnapshot = {
      ...emptySnapshot(1),
      silences: [{ ...meta('mute-watchdog', { type: 'global' }), kind: 'Silence', spec: { matcher: { matchLabels: { alertname: 'Watchdog' } } } } as Silence],
      inhibitRules: [
        { ...meta('node-down', { type: 'global' }), kind: 'InhibitRule', spec: { sourceSelector: { matchLabels: { alertname: 'NodeDown' } }, targetSelector: { matchLabels: { alertname: 'PodDown' } }, equal: ['node'] } } as unknown as InhibitRule,
        { ...meta('team-a-db', { type: 'tenant', namespace: 'ns-a' }), kind: 'InhibitRule', spec: { sourceSelector: { matchLabels: { alertname: 'DbDown' } }, targetSelector: { matchLabels: { alertname: 'ApiErrors' } }, equal: ['namespace'] } } as unknown as InhibitRule,
      ],
    };
    const out: AdmittedBatch[] = [];
    const publisher: Publisher = {
      publish: (_s, p) => {
        out.push(AdmittedBatchSchema.parse(p));
        return Promise.resolve({ seq: 1, duplicate: false });
      },
    };
    const handler = createSilencerHandler({ snapshot: () => snapshot, publisher, inhibition: new InhibitionStore(client, 60_000), metrics: new Metrics('t') });
    await handler(
      ingested([
        alert('w', { alertname: 'Watchdog' }),
        alert('n', { alertname: 'NodeDown', node: 'n1' }),
        alert('p1', { alertname: 'PodDown', node: 'n1' }),
        alert('p2', { alertname: 'PodDown', node: 'n2' }),
        alert('db', { alertname: 'DbDown', namespace: 'ns-a' }),
        alert('api', { alertname: 'ApiErrors', namespace: 'ns-a' }),
      ]),
      ctx,
    );
    expect(out).toHaveLength(1);
    expect(out[0]!.alerts.map((a) => a.id)).toEqual(['n', 'p2', 'db', 'api']);
    expect(out[0]!.tenantInhibitions).toEqual({ api: [{ tenant: 'ns-a', rule: 'team-a-db' }] });

    await handler(ingested([alert('w2', { alertname: 'Watchdog' })]), ctx);
    expect(out).toHaveLength(1); // everything muted: nothing published
  });

  it('splits an admitted batch that does not fit max_payload, keeping each part\'s tenant inhibitions', async () => {
    const snapshot: ConfigSnapshot = {
      ...emptySnapshot(1),
      inhibitRules: [
        { ...meta('team-a-db', { type: 'tenant', namespace: 'ns-a' }), kind: 'InhibitRule', spec: { sourceSelector: { matchLabels: { alertname: 'DbDown' } }, targetSelector: { matchLabels: { alertname: 'ApiErrors' } }, equal: ['namespace'] } } as unknown as InhibitRule,
      ],
    };
    const out: AdmittedBatch[] = [];
    const ids: string[] = [];
    const publisher: Publisher = {
      maxPayload: () => 32 * 1024,
      publish: (_s, p, o) => {
        expect(JSON.stringify(p).length).toBeLessThanOrEqual(31 * 1024);
        ids.push(o.msgId);
        out.push(AdmittedBatchSchema.parse(p));
        return Promise.resolve({ seq: out.length, duplicate: false });
      },
    };
    const handler = createSilencerHandler({ snapshot: () => snapshot, publisher, inhibition: new InhibitionStore(client, 60_000), metrics: new Metrics('t') });
    const alerts = [
      alert('db', { alertname: 'DbDown', namespace: 'ns-a' }),
      ...Array.from({ length: 200 }, (_, i) => ({ ...alert(`api${i}`, { alertname: 'ApiErrors', namespace: 'ns-a', i: String(i) }), annotations: { m: 'x'.repeat(500) } })),
    ];
    await handler(ingested(alerts), { ...ctx, msgId: 'r1-0' });
    expect(out.length).toBeGreaterThan(2);
    expect(out.flatMap((b) => b.alerts.map((a) => a.id))).toEqual(alerts.map((a) => a.id));
    for (const b of out) expect(Object.keys(b.tenantInhibitions ?? {}).sort()).toEqual(b.alerts.filter((a) => a.id.startsWith('api')).map((a) => a.id).sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('forwards its input bytes unchanged when nothing was muted, and builds a new message when something was', async () => {
    const snapshot: ConfigSnapshot = {
      ...emptySnapshot(1),
      silences: [{ ...meta('mute-watchdog', { type: 'global' }), kind: 'Silence', spec: { matcher: { matchLabels: { alertname: 'Watchdog' } } } } as Silence],
    };
    const sent: Array<{ payload: AdmittedBatch; msgId: string; encoded: Uint8Array | undefined }> = [];
    const publisher: Publisher = {
      publish: (_s, p, o) => {
        sent.push({ payload: AdmittedBatchSchema.parse(p), msgId: o.msgId, encoded: o.encoded });
        return Promise.resolve({ seq: sent.length, duplicate: false });
      },
    };
    const handler = createSilencerHandler({ snapshot: () => snapshot, publisher, inhibition: new InhibitionStore(client, 60_000), metrics: new Metrics('t') });
    // A loose field with a number JSON.stringify would spell differently: the forwarded bytes keep the sender's spelling.
    const text = JSON.stringify(ingested([alert('a', { alertname: 'Up' }), alert('b', { alertname: 'Down' })])).replace('"annotations":{}', '"annotations":{},"value":1.50');
    const input = Buffer.from(text, 'utf8');
    await handler(JSON.parse(text) as IngestedBatch, { ...ctx, msgId: 'in-1', input });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.msgId).toBe('adm-in-1');
    expect(sent[0]!.encoded).toBe(input);
    expect(Buffer.from(sent[0]!.encoded!).toString('utf8')).toContain('"value":1.50');

    // One alert silenced: a new message with the rest, not the input.
    const mixed = ingested([alert('c', { alertname: 'Up' }), alert('w', { alertname: 'Watchdog' })]);
    const mixedInput = Buffer.from(JSON.stringify(mixed), 'utf8');
    await handler(mixed, { ...ctx, msgId: 'in-2', input: mixedInput });
    expect(sent).toHaveLength(2);
    expect(sent[1]!.msgId).toBe('adm-in-2');
    expect(sent[1]!.encoded).not.toBe(mixedInput);
    expect(sent[1]!.payload.alerts.map((a) => a.id)).toEqual(['c']);
    expect(JSON.parse(Buffer.from(sent[1]!.encoded!).toString('utf8'))).toEqual(sent[1]!.payload);

    // Without the delivered bytes (the payload went through the schema): serialised as before.
    const plain = ingested([alert('d', { alertname: 'Up' })]);
    await handler(plain, { ...ctx, msgId: 'in-3' });
    expect(sent[2]!.payload).toEqual(plain);
  });
  it('while nothing could mute, forwards a message that gives its alert count without decoding it, and counts its alerts', async () => {
    let snapshot: ConfigSnapshot = emptySnapshot(1);
    const sent: Array<{ subject: string; payload: unknown; msgId: string; encoded: Uint8Array | undefined; alertCount: number | undefined; handoff: boolean | undefined }> = [];
    const publisher: Publisher = {
      publish: (subject, payload, o) => {
        sent.push({ subject, payload, msgId: o.msgId, encoded: o.encoded, alertCount: o.alertCount, handoff: o.handoff });
        return Promise.resolve({ seq: sent.length, duplicate: false });
      },
    };
    const metrics = new Metrics('t');
    const silencer = createSilencer({ snapshot: () => snapshot, publisher, inhibition: new InhibitionStore(client, 60_000), metrics });
    const input = Buffer.from(JSON.stringify(ingested([alert('a', { alertname: 'Up' }), alert('b', { alertname: 'Down' })])), 'utf8');
    const headerOf =
      (h: Record<string, string>) =>
      (name: string): string | undefined =>
        h[name];
    const counted = { header: headerOf({ [headers.alertCount]: '2' }), byteLength: input.byteLength };
    expect(silencer.undecoded.accepts(counted)).toBe(true);
    // without a usable count (an older ingest, a replay): decoded
    expect(silencer.undecoded.accepts({ header: headerOf({}), byteLength: input.byteLength })).toBe(false);
    for (const bogus of ['two', '0', '-1', '1.5', ' 2', '12345678'])
      expect(silencer.undecoded.accepts({ header: headerOf({ [headers.alertCount]: bogus }), byteLength: input.byteLength })).toBe(false);
    // over what one message may carry (it could not be forwarded as one): decoded, and split
    expect(silencer.undecoded.accepts({ ...counted, byteLength: 2 * 1024 * 1024 })).toBe(false);

    await silencer.undecoded.handle({ ...ctx, msgId: 'in-1', childTraceparent: 'tp', input }, counted.header);
    expect(sent).toEqual([{ subject: subjects.alertsAdmitted, payload: undefined, msgId: 'adm-in-1', encoded: input, alertCount: 2, handoff: false }]);
    expect(await metrics.registry.getSingleMetricAsString('nm_silencer_alerts_total')).toMatch(/outcome="admitted"[^}]*\} 2$/m);

    // the next stage runs inline on this thread (single process): it needs the decoded payload
    inline.configure({ hops: [{ from: subjects.alertsIngested, to: subjects.alertsAdmitted }] });
    const release = inline.register(subjects.alertsAdmitted, () => Promise.resolve(), 'router');
    try {
      expect(silencer.undecoded.accepts(counted)).toBe(false);
    } finally {
      release();
      inline.configure({ hops: [] });
    }
    expect(silencer.undecoded.accepts(counted)).toBe(true);

    // any global Silence or any InhibitRule: every message is decoded
    const silence = { ...meta('mute-watchdog', { type: 'global' }), kind: 'Silence', spec: { matcher: { matchLabels: { alertname: 'Watchdog' } } } } as Silence;
    const rule = (type: string) =>
      ({ ...meta('r', { type, namespace: 'ns-a' }), kind: 'InhibitRule', spec: { sourceSelector: { matchLabels: { alertname: 'A' } }, targetSelector: { matchLabels: { alertname: 'B' } } } }) as unknown as InhibitRule;
    for (const next of [{ silences: [silence] }, { inhibitRules: [rule('global')] }, { inhibitRules: [rule('tenant')] }]) {
      snapshot = { ...emptySnapshot(2), ...next };
      expect(silencer.undecoded.accepts(counted)).toBe(false);
    }
  });
});
