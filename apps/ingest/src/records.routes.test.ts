import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type express from 'express';
import {
  allConsumers,
  allStreams,
  GLOBAL_TENANT,
  PAYLOAD_VERSION,
  streams,
  subjects,
  type Channel,
  type DeadLetter,
  type HistoryRecord,
} from '@nm/contracts';
import { connectBus, createPublisher, createStreamReader, provision, type BusConnection, type Publisher } from '@nm/bus';
import { emptySnapshot } from '@nm/model';
import { createHealth, createLogger, Metrics } from '@nm/telemetry';
import { startNats, type PrivateNats } from '@nm/testing';
import { createIngestApp } from './ingest.app.js';

const logger = createLogger('records-test', 'silent');
const NOW = new Date('2026-11-22T10:00:00Z');

function deadLetter(stage: string, n: number, extra: Partial<DeadLetter> = {}): DeadLetter {
  return {
    version: PAYLOAD_VERSION,
    time: new Date(NOW.getTime() + n * 1000).toISOString(),
    stage,
    reason: 'retries-exhausted',
    error: `failure ${n}`,
    subject: subjects.alertsIngested,
    deliveries: 3,
    // an ingested batch (what nm.alerts.ingested accepts), told apart by its batchId
    payload: { version: PAYLOAD_VERSION, batchId: `payload-${n}`, chunk: { index: 0, count: 1 }, source: 'alerts-array', receivedAt: NOW.toISOString(), alerts: [] },
    ...extra,
  };
}

function historyRecord(tenant: string, channel: Channel, n: number): HistoryRecord {
  return {
    version: PAYLOAD_VERSION,
    notificationId: `notif-${n}`,
    time: new Date(NOW.getTime() + n * 1000).toISOString(),
    tenant,
    receiver: `r-${n}`,
    channel,
    destination: 'https://example.test/hook',
    alertIds: [`a-${n}`],
    fingerprints: ['0123456789abcdef'],
    result: 'delivered',
    attempt: 1,
  };
}

describe('DLQ and history API against a real nats-server', () => {
  let nats: PrivateNats;
  let bus: BusConnection;
  let pub: Publisher;
  let app: express.Express;
  const seqs: Record<string, number> = {};

  beforeAll(async () => {
    nats = await startNats();
    bus = await connectBus({ url: nats.url, name: 'records-test', logger });
    await provision(bus.jsm, { streams: allStreams, consumers: allConsumers });
    pub = createPublisher(bus);
    const reader = createStreamReader(bus.jsm);
    app = createIngestApp({
      publisher: pub,
      logger,
      metrics: new Metrics('t'),
      health: createHealth(),
      snapshot: () => emptySnapshot(1),
      maxBodyBytes: 1024 * 1024,
      maxMessageBytes: 1024 * 1024,
      streamReader: () => reader,
      now: () => NOW,
    });
    const dls: Array<[string, DeadLetter]> = [
      ['silencer-1', deadLetter('silencer', 1)],
      ['router-2', deadLetter('router', 2, { subject: subjects.alertsAdmitted, code: 'E_ROUTE' })],
      ['invalid-3', deadLetter('silencer', 3, { reason: 'invalid-payload', error: 'version: expected 1', payload: { bogus: true } })],
      ['sender-4', deadLetter('sender-webhook', 4, { subject: subjects.notify('webhook'), reason: 'permanent-error' })],
      ['loop-5', deadLetter('router', 5, { subject: 'nm.dlq.router' })],
      ['silencer-6', deadLetter('silencer', 6)],
    ];
    for (const [key, dl] of dls) {
      const stage = dl.stage as Parameters<typeof subjects.dlq>[0];
      seqs[key] = (await pub.publish(subjects.dlq(stage), dl, { msgId: `dl-${key}` })).seq;
    }
    let n = 0;
    for (const [tenant, channel] of [
      ['team-a', 'webhook'],
      ['team-b', 'webhook'],
      ['team-a', 'slack'],
      [GLOBAL_TENANT, 'email'],
      ['team-a', 'webhook'],
      ['team-a', 'email'],
    ] as Array<[string, Channel]>) {
      n += 1;
      await pub.publish(subjects.history(tenant, channel), historyRecord(tenant, channel, n), { msgId: `h-${n}` });
    }
  });
  afterAll(async () => {
    await bus.close();
    await nats.stop();
  });

  it('lists dead letters newest first, without payloads', async () => {
    const res = await request(app).get('/api/v2/dlq');
    expect(res.status).toBe(200);
    const items = res.body.items as Array<Record<string, unknown>>;
    expect(items.map((i) => i.seq)).toEqual(['silencer-6', 'loop-5', 'sender-4', 'invalid-3', 'router-2', 'silencer-1'].map((k) => seqs[k]));
    expect(items.map((i) => i.error)).toEqual(['failure 6', 'failure 5', 'failure 4', 'version: expected 1', 'failure 2', 'failure 1']);
    expect(items[4]).toEqual({
      seq: seqs['router-2'],
      time: deadLetter('router', 2).time,
      stage: 'router',
      reason: 'retries-exhausted',
      error: 'failure 2',
      code: 'E_ROUTE',
      subject: subjects.alertsAdmitted,
      deliveries: 3,
    });
    expect(items.every((i) => !('payload' in i))).toBe(true);
  });

  it('filters by stage and limits', async () => {
    const silencer = await request(app).get('/api/v2/dlq?stage=silencer');
    expect(silencer.status).toBe(200);
    expect((silencer.body.items as Array<{ seq: number }>).map((i) => i.seq)).toEqual([seqs['silencer-6'], seqs['invalid-3'], seqs['silencer-1']]);
    const sender = await request(app).get('/api/v2/dlq?stage=sender-webhook');
    expect((sender.body.items as Array<{ stage: string }>).map((i) => i.stage)).toEqual(['sender-webhook']);
    const limited = await request(app).get('/api/v2/dlq?limit=2');
    expect((limited.body.items as Array<{ seq: number }>).map((i) => i.seq)).toEqual([seqs['silencer-6'], seqs['loop-5']]);
    expect((await request(app).get('/api/v2/dlq?limit=100000')).body.items).toHaveLength(6);
    expect((await request(app).get('/api/v2/dlq?stage=aggregator')).body).toEqual({ items: [] });
  });

  it('rejects bad list parameters with 400', async () => {
    for (const q of ['limit=0', 'limit=abc', 'limit=-1', 'stage=nope', 'stage=a.b', 'stage=sender-carrierpigeon']) {
      const res = await request(app).get(`/api/v2/dlq?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.Status).toBe(400);
    }
    expect((await request(app).get('/api/v2/dlq?limit=0')).body.Message).toMatch(/"limit" must be a positive integer/);
  });

  it('gets one dead letter with its payload; 404 for an unknown seq, 400 for a bad one', async () => {
    const res = await request(app).get(`/api/v2/dlq/${seqs['router-2']}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ seq: seqs['router-2'], ...deadLetter('router', 2, { subject: subjects.alertsAdmitted, code: 'E_ROUTE' }) });
    const missing = await request(app).get('/api/v2/dlq/9999');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ Status: 404, Message: 'no dead letter with seq 9999' });
    expect((await request(app).get('/api/v2/dlq/abc')).status).toBe(400);
  });

  it('replays a dead letter to its original subject and removes it from the DLQ', async () => {
    const seq = seqs['silencer-1']!;
    const res = await request(app).post(`/api/v2/dlq/${seq}/replay`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ Status: 200, Message: `replayed to ${subjects.alertsIngested}` });

    const reader = createStreamReader(bus.jsm);
    const replayed = await reader.latest(streams.ingested.name, subjects.alertsIngested, 10);
    expect(replayed).toHaveLength(1);
    expect(JSON.parse(replayed[0]!.data)).toEqual(deadLetter('silencer', 1).payload);
    const stored = await bus.jsm.streams.getMessage(streams.ingested.name, { seq: replayed[0]!.seq });
    expect(stored?.header.get('Nats-Msg-Id')).toBe(`replay-${seq}-${Date.parse(deadLetter('silencer', 1).time)}`);

    expect((await request(app).get(`/api/v2/dlq/${seq}`)).status).toBe(404);
    const list = await request(app).get('/api/v2/dlq?stage=silencer');
    expect((list.body.items as Array<{ seq: number }>).map((i) => i.seq)).toEqual([seqs['silencer-6'], seqs['invalid-3']]);
    expect((await request(app).post(`/api/v2/dlq/${seq}/replay`)).status).toBe(404);

    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toMatch(/nm_dlq_replays_total\{[^}]*stage="silencer"[^}]*\} 1/);
  });

  it('refuses to replay an invalid payload or to a dlq subject, and keeps them', async () => {
    const invalid = await request(app).post(`/api/v2/dlq/${seqs['invalid-3']}/replay`);
    expect(invalid.status).toBe(409);
    expect(invalid.body.Status).toBe(409);
    expect(invalid.body.Message).toMatch(/invalid-payload/);
    const loop = await request(app).post(`/api/v2/dlq/${seqs['loop-5']}/replay`);
    expect(loop.status).toBe(409);
    expect(loop.body.Message).toMatch(/not a pipeline subject/);
    expect((await request(app).get(`/api/v2/dlq/${seqs['invalid-3']}`)).status).toBe(200);
    expect((await request(app).get(`/api/v2/dlq/${seqs['loop-5']}`)).status).toBe(200);
    expect((await request(app).post('/api/v2/dlq/424242/replay')).status).toBe(404);
    // stages check only the top level of what travels between them: a replay is checked in full
    const mismatched = await request(app).post(`/api/v2/dlq/${seqs['router-2']}/replay`);
    expect(mismatched.status).toBe(409);
    expect(mismatched.body.Message).toContain(`holds a payload ${subjects.alertsAdmitted} does not accept (alerts: `);
    expect((await request(app).get(`/api/v2/dlq/${seqs['router-2']}`)).status).toBe(200);
  });

  it('lists history of a tenant newest first, by channel, with a limit', async () => {
    const all = await request(app).get('/api/v2/history?tenant=team-a');
    expect(all.status).toBe(200);
    const items = all.body.items as Array<HistoryRecord & { seq: number }>;
    expect(items.map((i) => i.notificationId)).toEqual(['notif-6', 'notif-5', 'notif-3', 'notif-1']);
    expect(items[0]).toEqual({ seq: items[0]!.seq, ...historyRecord('team-a', 'email', 6) });
    const webhook = await request(app).get('/api/v2/history?tenant=team-a&channel=webhook&limit=1');
    expect((webhook.body.items as HistoryRecord[]).map((i) => i.notificationId)).toEqual(['notif-5']);
    const global = await request(app).get(`/api/v2/history?tenant=${encodeURIComponent(GLOBAL_TENANT)}`);
    expect((global.body.items as HistoryRecord[]).map((i) => i.notificationId)).toEqual(['notif-4']);
    expect((await request(app).get('/api/v2/history?tenant=nobody')).body).toEqual({ items: [] });
  });

  it('filters history by receiver name (newest first, the limit counting that receiver only)', async () => {
    const one = await request(app).get('/api/v2/history?tenant=team-a&receiver=r-3');
    expect((one.body.items as HistoryRecord[]).map((i) => [i.notificationId, i.receiver])).toEqual([['notif-3', 'r-3']]);
    const limited = await request(app).get('/api/v2/history?tenant=team-a&receiver=r-1&limit=1');
    expect((limited.body.items as HistoryRecord[]).map((i) => i.notificationId)).toEqual(['notif-1']);
    // r-2 is team-b's: the tenant still scopes the answer
    expect((await request(app).get('/api/v2/history?tenant=team-a&receiver=r-2')).body).toEqual({ items: [] });
    expect((await request(app).get('/api/v2/history?tenant=team-a&channel=slack&receiver=r-3')).body.items).toHaveLength(1);
    expect((await request(app).get('/api/v2/history?tenant=team-a&receiver=a&receiver=b')).status).toBe(400);
  });

  it('history requires a tenant and a known channel', async () => {
    const res = await request(app).get('/api/v2/history');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ Status: 400, Message: 'query parameter "tenant" is required' });
    const ch = await request(app).get('/api/v2/history?tenant=team-a&channel=fax');
    expect(ch.status).toBe(400);
    expect(ch.body.Message).toMatch(/"channel"/);
  });
});

describe('DLQ and history API without a bus', () => {
  it('answers 503 when the stream reader is unavailable', async () => {
    const app = createIngestApp({
      publisher: { publish: () => Promise.reject(new Error('down')) },
      logger,
      metrics: new Metrics('t'),
      health: createHealth(),
      snapshot: () => emptySnapshot(1),
      maxBodyBytes: 1024,
      maxMessageBytes: 1024,
      now: () => NOW,
    });
    for (const req of [request(app).get('/api/v2/dlq'), request(app).get('/api/v2/history?tenant=a'), request(app).post('/api/v2/dlq/1/replay')]) {
      const res = await req;
      expect(res.status).toBe(503);
      expect(res.body.Status).toBe(503);
    }
  });
});
