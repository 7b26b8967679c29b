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
 * kill -9 of the silencer and of the router while alerts stream through: unique alerts are posted
 * continuously (POSTs of 1 to 25 alerts), the stage is killed while its consumer holds delivered,
 * unacknowledged messages, then restarted. Every alert ingest accepted reaches the sink, and no
 * alert reaches it twice — counting every request that reached the sink, completed or not (the
 * sender is not killed, so the one documented duplicate window does not apply).
 */
describe('kill -9 of the silencer and the router mid-stream', () => {
  const PATH = '/st';
  let sink: WebhookSink;
  let stack: Stack;
  let view: NatsView;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '200ms', groupLabels: ['alertname'] }),
        'r.yaml': docs(webhookReceiver('st', `${sink.url}${PATH}`, { type: 'tenant', namespace: 'ns-st' })),
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

  const runKill = async (service: 'silencer' | 'router'): Promise<void> => {
    const prefix = `kill-${service}`;
    const mine = (): string[] => sinkAlertNames(sink, PATH).filter((n) => n.startsWith(`${prefix}-`));
    const poster = new AlertPoster(stack, { prefix, namespace: 'ns-st', workers: 2, gapMs: 100, maxPosts: 60 });
    poster.start();
    await waitFor(`first ${service}-test deliveries`, () => mine().length >= 5, 30_000);
    const kill = await killWhileHolding(stack, view, service, consumers[service]);
    const atKill = { delivered: new Set(mine()).size, posted: poster.posts.reduce((n, p) => n + p.names.length, 0) };
    await sleep(1000); // ingest keeps accepting while the stage is down
    stack.start(service);
    poster.stopAfter(2000);
    await poster.done();
    const accepted = poster.accepted();
    const ackWaitMs = consumers[service].ackWaitSeconds * 1000;
    await waitForAlerts(sink, PATH, accepted, 120_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${service} log:\n${logLines(stack, service, ['"level":40', '"level":50']).join('\n')}`);
    });
    await waitQuiet(sink, { notBefore: kill.killedAt + ackWaitMs + 5000, quietMs: 6000 });

    const names = mine();
    const repeated = repeatedNames(names);
    const requests = sinkRequests(sink, PATH).filter((r) => JSON.stringify(r.body).includes(`"${prefix}-`));
    process.stdout.write(
      `${service} kill -9: killed on attempt ${kill.attempts} holding ${kill.heldAtKill} un-acked message(s); ` +
        `${atKill.delivered} of ${atKill.posted} posted alerts at the sink at the kill; ${poster.posts.length} POSTs (${poster.statusSummary()}), ` +
        `${accepted.length} alerts accepted; sink: ${requests.length} requests (${requests.filter((r) => !r.completed).length} not completed), ` +
        `${names.length} alert deliveries, ${new Set(names).size} distinct, ${Object.keys(repeated).length} repeated\n`,
    );
    if (Object.keys(repeated).length > 0)
      process.stdout.write(`${service} repeated: ${JSON.stringify(repeated)}\n${logLines(stack, service, ['"level":40', '"level":50']).join('\n')}\n`);

    expect(kill.heldAtKill).toBeGreaterThan(0); // the kill hit work in flight
    expect(atKill.delivered).toBeLessThan(accepted.length); // ... mid-stream
    expect(poster.posts.filter((p) => p.acceptedAt === undefined).map((p) => p.statuses)).toEqual([]);
    const missing = accepted.filter((n) => !names.includes(n));
    expect(missing).toEqual([]);
    expect(repeated).toEqual({});
    expect(names.filter((n) => !accepted.includes(n))).toEqual([]);
  };

  it('silencer: every accepted alert delivered, none twice', async () => {
    await runKill('silencer');
  }, 240_000);

  it('router: every accepted alert delivered, none twice', async () => {
    await runKill('router');
  }, 240_000);
});
