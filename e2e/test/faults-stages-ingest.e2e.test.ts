import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { streams } from '@nm/contracts';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack } from './support/stack.js';
import {
  AlertPoster,
  logLines,
  natsView,
  postUntilAccepted,
  repeatedNames,
  sinkAlertNames,
  sinkRequests,
  waitForAlerts,
  waitQuiet,
  type NatsView,
  type PostRecord,
} from './support/stage-faults.js';

/**
 * kill -9 of ingest while a POST is being stored. Small POSTs of unique alerts flow continuously;
 * a large POST (30 alerts of ~100 KB, stored as several chunks) is sent and ingest is killed as
 * soon as JetStream holds part of it and before ingest answered. That POST's connection dies
 * without an answer; like Alertmanager, the client sends the same body again once ingest is back.
 * What was stored before the kill must not be notified a second time (ingest deduplicates a
 * retried body inside NM_INGEST_DEDUP_WINDOW, default 30 s), and nothing may be lost: every alert
 * reaches the sink exactly once, counting every request that reached it.
 */
describe('kill -9 of ingest with a POST in flight', () => {
  const PATH = '/in';
  const BIG_ALERTS = 30;
  const PAD = 'x'.repeat(50 * 1024); // two annotations of 50 KB: under NM_INGEST_MAX_ANNOTATION_VALUE_BYTES (64 KB)
  let sink: WebhookSink;
  let stack: Stack;
  let view: NatsView;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '200ms', groupLabels: ['alertname'] }),
        'r.yaml': docs(webhookReceiver('in', `${sink.url}${PATH}`, { type: 'tenant', namespace: 'ns-in' })),
      },
    });
    view = await natsView(stack.nats.url);
    sink.respondWith(() => ({ status: 200, delayMs: 10 }));
  });
  afterAll(async () => {
    await view?.close();
    await stack?.stop();
    await sink?.close();
  });

  const bigPost = (n: number): PostRecord => {
    const names = Array.from({ length: BIG_ALERTS }, (_, k) => `kill-ingest-big${n}-${k}`);
    return {
      index: n,
      names,
      body: names.map((alertname, k) => ({ labels: { alertname, namespace: 'ns-in' }, annotations: { message: `big ${n} alert ${k}`, pad1: PAD, pad2: PAD } })),
      startedAt: Date.now(),
      statuses: [],
      acceptedAt: undefined,
      inFlight: false,
    };
  };

  it('the unanswered POST, sent again, arrives once; nothing lost, nothing twice', async () => {
    const stream = streams.ingested.name;
    const poster = new AlertPoster(stack, { prefix: 'kill-ingest', namespace: 'ns-in', workers: 2, gapMs: 100, maxPosts: 60 });
    poster.start();
    await waitFor('first deliveries', () => sinkAlertNames(sink, PATH).length >= 5, 30_000);

    // Send large POSTs one at a time (small ones held back meanwhile, so every message stored is
    // the large POST's) until ingest is killed after part of one was stored and before its answer.
    const bigs: PostRecord[] = [];
    const sending: Array<Promise<void>> = [];
    let hit: { post: PostRecord; storedAtKill: number; storedAfterKill: number; killedAt: number } | undefined;
    let killedAt = 0;
    for (let attempt = 1; attempt <= 8 && !hit; attempt++) {
      poster.pause();
      await waitFor('small POSTs answered', () => poster.inFlight() === 0, 60_000, 5);
      const seq0 = await view.lastSeq(stream);
      const rec = bigPost(attempt);
      bigs.push(rec);
      sending.push(postUntilAccepted(stack, rec));
      let stored = 0;
      while (rec.statuses.length === 0) {
        stored = (await view.lastSeq(stream)) - seq0;
        if (stored > 0) break;
      }
      if (rec.statuses.length === 0) {
        await stack.kill9('ingest');
        killedAt = Date.now();
        const storedAtKill = (await view.lastSeq(stream)) - seq0;
        poster.resume(); // the small POSTs keep coming (refused while ingest is down, then retried)
        await sleep(300);
        const storedAfterKill = (await view.lastSeq(stream)) - seq0;
        await sleep(1000);
        stack.start('ingest');
        await waitFor('the large POST answered', () => rec.statuses.length > 0, 60_000, 20);
        if (rec.statuses[0] === 0) hit = { post: rec, storedAtKill, storedAfterKill, killedAt };
      } else {
        poster.resume();
      }
      await sleep(500);
    }
    poster.stopAfter(2000);
    await Promise.all(sending);
    await poster.done();

    const accepted = [...poster.accepted(), ...bigs.filter((b) => b.acceptedAt !== undefined).flatMap((b) => b.names)];
    await waitForAlerts(sink, PATH, accepted, 120_000);
    await waitQuiet(sink, { notBefore: killedAt + 15_000, quietMs: 6000 });

    const names = sinkAlertNames(sink, PATH);
    const repeated = repeatedNames(names);
    const requests = sinkRequests(sink, PATH);
    const hitRepeated = hit ? hit.post.names.filter((n) => repeated[n] !== undefined).length : 0;
    process.stdout.write(
      `ingest kill -9: ${bigs.length} large POST(s) sent, ` +
        (hit
          ? `the kill hit large POST ${hit.post.index} with ${hit.storedAtKill} chunk message(s) stored (${hit.storedAfterKill} after the kill settled); its statuses ${hit.post.statuses.join(',')}; `
          : 'no large POST was caught between storing and answering; ') +
        `${poster.posts.length} small POSTs (${poster.statusSummary()}), ${poster.unanswered().length} of them with an unanswered attempt; ` +
        `${accepted.length} alerts accepted; sink: ${requests.length} requests (${requests.filter((r) => !r.completed).length} not completed), ` +
        `${names.length} alert deliveries, ${new Set(names).size} distinct, ${Object.keys(repeated).length} repeated (${hitRepeated} of the killed POST)\n`,
    );
    if (Object.keys(repeated).length > 0)
      process.stdout.write(`ingest repeated: ${JSON.stringify(repeated)}\n${logLines(stack, 'ingest', ['"level":40', '"level":50', 'duplicate']).join('\n')}\n`);

    expect(hit).toBeDefined(); // a POST lost its answer to the kill after (part of) it was stored
    expect(hit!.storedAtKill).toBeGreaterThan(0);
    expect([...poster.posts, ...bigs].filter((p) => p.acceptedAt === undefined).map((p) => p.statuses)).toEqual([]);
    expect(accepted.filter((n) => !names.includes(n))).toEqual([]);
    expect(repeated).toEqual({});
    expect(names.filter((n) => !accepted.includes(n))).toEqual([]);
  }, 300_000);
});
