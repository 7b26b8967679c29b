import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { consumers } from '@nm/contracts';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack } from './support/stack.js';
import {
  AlertPoster,
  killWhileHolding,
  logLines,
  natsView,
  repeatedNames,
  sinkAlertNames,
  sinkRequests,
  waitForAlerts,
  waitQuiet,
  type NatsView,
} from './support/stage-faults.js';

/**
 * kill -9 of the aggregator while groups are open. The aggregator holds each routed message
 * un-acked until every group it fed was published. With a 3 s batch wait, and the alerts of a
 * POST spread over two neighbouring groups of eight (label `grp`; the pair moves on every four
 * POSTs, so the groups open and flush at staggered times), the kill finds groups open and messages
 * one of whose groups already flushed while the other is still open. After the restart the held messages are
 * redelivered (after the 15 s ack wait) and regrouped. Every accepted alert must reach the sink,
 * and none twice (counting every request that reached the sink).
 */
describe('kill -9 of the aggregator with groups open', () => {
  const PATH = '/ag';
  const BATCH_WAIT_MS = 3000;
  let sink: WebhookSink;
  let stack: Stack;
  let view: NatsView;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: `${BATCH_WAIT_MS}ms`, groupLabels: ['grp'] }),
        'r.yaml': docs(webhookReceiver('ag', `${sink.url}${PATH}`, { type: 'tenant', namespace: 'ns-ag' })),
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

  it('every accepted alert delivered, none twice', async () => {
    const poster = new AlertPoster(stack, {
      prefix: 'kill-agg',
      namespace: 'ns-ag',
      labels: (i, k) => ({ grp: `g${(Math.floor(i / 4) + (k % 2)) % 8}` }),
      workers: 2,
      gapMs: 150,
      maxPosts: 60,
    });
    poster.start();
    // some groups flushed already, others open
    await waitFor('first flushed groups', () => sinkAlertNames(sink, PATH).length >= 5, 30_000);
    await sleep(700);
    const kill = await killWhileHolding(stack, view, 'aggregator', consumers.aggregator, { minPending: 3 });
    const seen = new Set(sinkAlertNames(sink, PATH));
    // POSTs (one routed message each) with some alerts delivered and others still in open groups
    const partly = poster.posts.filter((p) => p.acceptedAt !== undefined && p.names.some((n) => seen.has(n)) && !p.names.every((n) => seen.has(n)));
    const posted = poster.posts.reduce((n, p) => n + p.names.length, 0);
    await sleep(1000);
    stack.start('aggregator');
    poster.stopAfter(2000);
    await poster.done();
    const accepted = poster.accepted();
    await waitForAlerts(sink, PATH, accepted, 150_000).catch((err: Error) => {
      throw new Error(`${err.message}\naggregator log:\n${logLines(stack, 'aggregator', ['"level":40', '"level":50']).join('\n')}`);
    });
    await waitQuiet(sink, { notBefore: kill.killedAt + consumers.aggregator.ackWaitSeconds * 1000 + BATCH_WAIT_MS + 5000, quietMs: 6000 });

    const names = sinkAlertNames(sink, PATH);
    const repeated = repeatedNames(names);
    const requests = sinkRequests(sink, PATH);
    const repeatedFromPartly = Object.keys(repeated).filter((n) => partly.some((p) => p.names.includes(n)));
    process.stdout.write(
      `aggregator kill -9: killed on attempt ${kill.attempts} holding ${kill.heldAtKill} un-acked routed message(s); ` +
        `${seen.size} of ${posted} posted alerts at the sink at the kill, ${partly.length} POSTs partly delivered at the kill; ` +
        `${poster.posts.length} POSTs (${poster.statusSummary()}), ${accepted.length} alerts accepted; ` +
        `sink: ${requests.length} requests (${requests.filter((r) => !r.completed).length} not completed), ${names.length} alert deliveries, ` +
        `${new Set(names).size} distinct, ${Object.keys(repeated).length} repeated (${repeatedFromPartly.length} of them from partly delivered POSTs)\n`,
    );
    if (Object.keys(repeated).length > 0) {
      // which notifications carried a repeated alert: group and how many alerts each
      const carriers = requests
        .map((r) => r.body as { groupLabels?: Record<string, string>; alerts: Array<{ labels: Record<string, string> }> })
        .filter((b) => b.alerts.some((a) => repeated[a.labels.alertname!] !== undefined))
        .map((b) => `${b.groupLabels?.grp}:${b.alerts.length}`);
      process.stdout.write(
        `aggregator repeated: ${JSON.stringify(repeated)}\nnotifications carrying them (grp:alerts): ${carriers.join(' ')}\n` +
          `${logLines(stack, 'aggregator', ['"level":40', '"level":50']).join('\n')}\n`,
      );
    }

    expect(kill.heldAtKill).toBeGreaterThan(0); // groups were open at the kill
    expect(seen.size).toBeLessThan(accepted.length);
    expect(poster.posts.filter((p) => p.acceptedAt === undefined).map((p) => p.statuses)).toEqual([]);
    expect(accepted.filter((n) => !names.includes(n))).toEqual([]);
    expect(repeated).toEqual({});
    expect(names.filter((n) => !accepted.includes(n))).toEqual([]);
  }, 300_000);
});
