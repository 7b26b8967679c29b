import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { IngestedBatchSchema, streams, streamsFromEnv, type IngestedBatch } from '@nm/contracts';
import { keys } from '@nm/config-store';
import { createRuntime, ingestActivity, type Runtime } from '@nm/service-kit';
import { createLogger } from '@nm/telemetry';
import { sleep, startNats, startRedis, waitFor, type PrivateNats, type PrivateRedis } from '@nm/testing';
import { alertId } from './alert.normalize.js';
import { bodyDedupKey, decodeReceipt, sha256 } from './receipt.store.js';
import { startIngest, type IngestOptions } from './service.js';

/**
 * Ingest as it runs (startIngest over a real runtime) against a private nats-server and
 * redis-server: dedup by body within the window, Idempotency-Key, back-pressure on NM_INGESTED.
 */
const logger = createLogger('ingest-service-test', 'silent');
const INGESTED = streams.ingested.name;

interface Answer {
  status: number;
  body: { Status: number; Message: string };
  retryAfter: string | null;
  receipt: string | null;
}

describe('ingest service against nats-server and redis-server', () => {
  let nats: PrivateNats;
  let redis: PrivateRedis;
  const running: Array<{ stop(): Promise<void> }> = [];
  const runtimes: Runtime[] = [];

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
  });
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
    for (const rt of runtimes.splice(0)) await rt.close();
  });
  afterAll(async () => {
    await nats?.stop();
    await redis?.stop();
  });

  /** A fresh ingest (own runtime), NM_INGESTED emptied first; `maxMsgs` bounds NM_INGESTED. */
  async function ingest(opts: Partial<IngestOptions> = {}, maxMsgs?: number) {
    const rt = createRuntime({
      service: 'ingest',
      natsUrl: nats.url,
      redisUrl: redis.url,
      secretKey: 'ingest-test-secret-key',
      logger,
      streams: streamsFromEnv(maxMsgs === undefined ? {} : { NM_STREAM_INGESTED_MAX_MSGS: String(maxMsgs) }),
    });
    runtimes.push(rt);
    const bus = await rt.connected;
    await bus.jsm.streams.purge(INGESTED);
    await rt.redis.flushall();
    await rt.redis.set(keys.revision, '1'); // a configuration is loaded, as config-sync would have mirrored it
    const svc = await startIngest(rt, { port: 0, host: '127.0.0.1', readyRequires: [], ...opts });
    running.push(svc);
    const url = `http://127.0.0.1:${svc.port}`;
    const post = async (body: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
      const r = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return {
        status: r.status,
        body: (await r.json()) as Answer['body'],
        retryAfter: r.headers.get('retry-after'),
        receipt: r.headers.get('x-nm-receipt-id'),
      };
    };
    /** Every message stored in NM_INGESTED (read by sequence, nothing consumed), with its Nats-Msg-Id. */
    const stored = async (): Promise<Array<{ msgId: string | undefined; batch: IngestedBatch }>> => {
      const info = await bus.jsm.streams.info(INGESTED);
      const out: Array<{ msgId: string | undefined; batch: IngestedBatch }> = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const m = await bus.jsm.streams.getMessage(INGESTED, { seq }).catch(() => undefined);
        if (m) out.push({ msgId: m.header?.get('Nats-Msg-Id'), batch: IngestedBatchSchema.parse(m.json()) });
      }
      return out;
    };
    const metrics = async (): Promise<string> => (await fetch(`${url}/metrics`)).text();
    const ready = async (): Promise<number> => (await fetch(`${url}/-/ready`)).status;
    return { rt, post, stored, metrics, ready };
  }

  const webhook = (name: string) => ({
    receiver: 'am',
    status: 'firing',
    alerts: [{ labels: { alertname: name, namespace: 'ns' }, annotations: { message: name } }],
  });

  it('an identical body inside the dedup window is a duplicate of the first receipt; after the window it is a new receipt', async () => {
    const { post, stored } = await ingest({ dedupWindowMs: 1500 });
    const body = JSON.stringify(webhook('Repeat'));
    const first = await post(body);
    expect(first.status).toBe(200);
    expect(first.body.Message).toBe('Notification request accepted');
    expect(first.receipt).toMatch(/^[0-9a-f]{32}$/);

    const again = await post(body);
    expect(again.status).toBe(200);
    expect(again.body.Message).toBe(`Duplicate of accepted request ${first.receipt} (identical body), not stored again`);
    expect(await stored()).toHaveLength(1);

    await sleep(1700); // past the window: an Alertmanager repeat of an unchanged group
    const repeat = await post(body);
    expect(repeat.status).toBe(200);
    expect(repeat.body.Message).toBe('Notification request accepted');
    expect(repeat.receipt).not.toBe(first.receipt);

    const msgs = await stored();
    expect(msgs.map((m) => m.batch.batchId)).toEqual([first.receipt, repeat.receipt]);
    expect(msgs.map((m) => m.msgId)).toEqual([`${first.receipt}-0`, `${repeat.receipt}-0`]);
    expect(msgs[0]!.batch.alerts[0]!.id).toBe(alertId(first.receipt!, 0));
    expect(msgs[1]!.batch.alerts[0]!.id).toBe(alertId(repeat.receipt!, 0));
    expect(msgs[0]!.batch.alerts[0]!.id).not.toBe(msgs[1]!.batch.alerts[0]!.id);
  });

  it('tells the other threads of the process what it has in hand and the highest sequence JetStream gave it, whatever the answer', async () => {
    ingestActivity.reset();
    const { rt, post } = await ingest({ dedupWindowMs: 60_000 });
    const bus = await rt.connected;
    expect(ingestActivity.intake()).toBeUndefined(); // no request taken yet
    const answers = await Promise.all([post(webhook('One')), post(webhook('Two')), post(webhook('Three'))]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const last = (await bus.jsm.streams.info(INGESTED)).state.last_seq;
    expect(last).toBeGreaterThan(0);
    expect(ingestActivity.intake()).toMatchObject({ inFlight: 0, publishedSeq: last });
    // a duplicate, a rejected body and an invalid Idempotency-Key leave nothing in hand either
    expect((await post(webhook('One'))).status).toBe(200);
    expect((await post('{not json')).status).toBe(400);
    expect((await post(webhook('Four'), { 'idempotency-key': ' ' })).status).toBe(400);
    const after = ingestActivity.intake()!;
    expect(after).toMatchObject({ inFlight: 0, publishedSeq: last });
    expect(after.idleMs).toBeLessThan(5_000);
    ingestActivity.reset();
  });

  it('NM_INGEST_DEDUP_WINDOW=0: every POST is a new receipt', async () => {
    const { post, stored } = await ingest({ dedupWindowMs: 0 });
    const body = JSON.stringify(webhook('NoDedup'));
    const a = await post(body);
    const b = await post(body);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body.Message).toBe('Notification request accepted');
    expect(new Set((await stored()).map((m) => m.batch.batchId)).size).toBe(2);
  });

  it('Idempotency-Key: the same key and body is a duplicate, a different body is 422, another key is a new receipt', async () => {
    const { post, stored } = await ingest({ dedupWindowMs: 60_000 });
    const body = JSON.stringify(webhook('Keyed'));
    const first = await post(body, { 'Idempotency-Key': 'k-1' });
    expect(first.status).toBe(200);
    const again = await post(body, { 'Idempotency-Key': 'k-1' });
    expect(again.status).toBe(200);
    expect(again.body.Message).toBe(`Duplicate of accepted request ${first.receipt} (same Idempotency-Key), not stored again`);

    const other = await post(JSON.stringify(webhook('Different')), { 'Idempotency-Key': 'k-1' });
    expect(other.status).toBe(422);
    expect(other.body).toEqual({ Status: 422, Message: 'Idempotency-Key: "k-1" was used for a request with a different body' });

    // an explicit key decides alone: the same body under a new key is a new receipt, even inside the body window
    const newKey = await post(body, { 'Idempotency-Key': 'k-2' });
    expect(newKey.status).toBe(200);
    expect(newKey.body.Message).toBe('Notification request accepted');
    expect(newKey.receipt).not.toBe(first.receipt);

    expect((await post(body, { 'Idempotency-Key': 'x'.repeat(300) })).status).toBe(400);
    expect((await stored()).map((m) => m.batch.batchId)).toEqual([first.receipt, newKey.receipt]);
  });

  it('a request that stores nothing lets its dedup record go: a corrected retry under the same Idempotency-Key is accepted', async () => {
    const { rt, post, stored } = await ingest({ dedupWindowMs: 60_000 });
    const idemKey = `nm:ingest:idem:${sha256('k-fix')}`;
    // not JSON, then JSON whose only alert is invalid: 400 each, and no record is left under the key
    const broken = await post('{"alerts": [', { 'Idempotency-Key': 'k-fix' });
    expect(broken.status).toBe(400);
    await waitFor('the claim released', async () => (await rt.redis.exists(idemKey)) === 0);
    const invalid = await post(JSON.stringify({ alerts: [{ labels: { alertname: 7 } }] }), { 'Idempotency-Key': 'k-fix' });
    expect(invalid.status).toBe(400);
    await waitFor('the claim released', async () => (await rt.redis.exists(idemKey)) === 0);
    // the same for the body window: an invalid body leaves no record
    await post('[{"labels": 1}]');
    await waitFor('the body claim released', async () => (await rt.redis.exists(bodyDedupKey(sha256('[{"labels": 1}]')))) === 0);

    const fixed = await post(JSON.stringify(webhook('Fixed')), { 'Idempotency-Key': 'k-fix' });
    expect(fixed.status).toBe(200);
    expect(decodeReceipt((await rt.redis.get(idemKey))!)).toEqual({ receiptId: fixed.receipt, state: 'done', bodyHash: sha256(JSON.stringify(webhook('Fixed'))) });
    expect((await post(JSON.stringify(webhook('Fixed')), { 'Idempotency-Key': 'k-fix' })).body.Message).toBe(
      `Duplicate of accepted request ${fixed.receipt} (same Idempotency-Key), not stored again`,
    );
    expect((await stored()).map((m) => m.batch.batchId)).toEqual([fixed.receipt]);
  });

  it('a pending record (a first attempt that crashed before it was acknowledged) is published again under its receipt id, then marked done', async () => {
    const { rt, post, stored } = await ingest({ dedupWindowMs: 60_000 });
    const body = JSON.stringify(webhook('Crashed'));
    const hash = sha256(body);
    const earlier = 'c'.repeat(32);
    await rt.redis.set(bodyDedupKey(hash), `${earlier}|pending|${hash}`, 'PX', 60_000);
    const r = await post(body);
    expect(r.status).toBe(200);
    expect(r.receipt).toBe(earlier);
    const msgs = await stored();
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.msgId).toBe(`${earlier}-0`);
    expect(msgs[0]!.batch.alerts[0]!.id).toBe(alertId(earlier, 0));
    expect(decodeReceipt((await rt.redis.get(bodyDedupKey(hash)))!)).toEqual({ receiptId: earlier, state: 'done', bodyHash: hash });
    expect(await rt.redis.pttl(bodyDedupKey(hash))).toBeGreaterThan(0);
    // the same chunk again inside JetStream's duplicate window is not stored twice
    await rt.redis.set(bodyDedupKey(hash), `${earlier}|pending|${hash}`, 'PX', 60_000);
    expect((await post(body)).status).toBe(200);
    expect(await stored()).toHaveLength(1);
  });

  it('503 with Retry-After from the high-water mark of NM_INGESTED; readiness unaffected', async () => {
    const { post, stored, ready } = await ingest({ highWater: 0.5, streamInfoCacheMs: 0, retryAfterSeconds: 7 }, 10);
    await waitFor('ingest ready', async () => (await ready()) === 200, 10_000);
    const answers: Answer[] = [];
    for (let i = 0; i < 8; i++) answers.push(await post(webhook(`HW-${i}`)));
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    for (const a of answers.slice(5)) {
      expect(a.status).toBe(503);
      expect(a.retryAfter).toBe('7');
      expect(a.body.Message).toMatch(/^alert stream is 50% full \(high-water mark 0\.5\), retry later$/);
    }
    expect(await stored()).toHaveLength(5);
    expect(await ready()).toBe(200);
  });

  it('503 with Retry-After when the publish fails because NM_INGESTED is full; a retry of the same body reuses its receipt id', async () => {
    // a long cache: the high-water check still sees the empty stream, so the publish itself meets the full stream
    const { rt, post, stored, metrics } = await ingest({ highWater: 1, streamInfoCacheMs: 60_000, dedupWindowMs: 60_000 }, 3);
    for (let i = 0; i < 3; i++) expect((await post(webhook(`Full-${i}`))).status).toBe(200);
    const body = JSON.stringify(webhook('Full-3'));
    const refused = await post(body);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('5');
    expect(refused.body).toEqual({ Status: 503, Message: 'alert stream is full, retry later' });
    const pending = decodeReceipt((await rt.redis.get(bodyDedupKey(sha256(body))))!);
    expect(pending?.state).toBe('pending');

    await (await rt.connected).jsm.streams.purge(INGESTED);
    const retried = await post(body);
    expect(retried.status).toBe(200);
    expect(retried.receipt).toBe(pending!.receiptId);
    expect((await stored()).map((m) => m.msgId)).toEqual([`${pending!.receiptId}-0`]);
    expect(await metrics()).toMatch(/nm_ingest_backpressure_total\{reason="stream-full"\} 1/);
  });

  it('Redis unavailable: accepted without dedup, counted in nm_ingest_dedup_unavailable_total', async () => {
    const { post, stored, metrics } = await ingest({ dedupWindowMs: 60_000 });
    await redis.kill9();
    try {
      const body = JSON.stringify(webhook('NoRedis'));
      const a = await post(body);
      const b = await post(body);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(a.receipt).not.toBe(b.receipt);
      expect(await stored()).toHaveLength(2);
      expect(await metrics()).toMatch(/nm_ingest_dedup_unavailable_total 2/);
    } finally {
      await redis.restart();
    }
  });
});
