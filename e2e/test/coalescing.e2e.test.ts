/**
 * Coalescing under load (batch mode), over the real stack: a due group keeps collecting alerts
 * while its channel's notifications wait for a sender, or while routed messages arrive late after
 * ingest received them (a stage before the aggregator is behind), and is flushed at once while the
 * senders have room and the input is on time. The threshold is lowered to 8 waiting notifications
 * and the webhook sender delivers 2 at once, so every regime is reached with a few dozen groups.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { consumers } from '@nm/contracts';
import { freePort, sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { metricSum } from './support/metrics.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

const GROUPS = 20;

/** One alert per group (alertname), marked with its wave. */
const wave = (phase: string, n: number) =>
  Array.from({ length: GROUPS }, (_, g) => ({ labels: { alertname: `${phase}-${g}`, namespace: 'ns-c', wave: String(n) } }));

/**
 * A stack for one block of tests: the aggregator with `aggregatorEnv` (one coalescing rule at a
 * time), a sink, and what the tests read of them.
 */
function coalescingStack(aggregatorEnv: Record<string, string>) {
  const t = {} as { sink: WebhookSink; stack: Stack; metricsPort: number };
  beforeAll(async () => {
    t.sink = await startWebhookSink();
    t.metricsPort = await freePort();
    t.stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '100ms', groupLabels: ['alertname'] }),
        'r.yaml': docs(webhookReceiver('c', `${t.sink.url}/c`, { type: 'tenant', namespace: 'ns-c' })),
      },
      env: {
        aggregator: { ...aggregatorEnv, NM_HEALTH_PORT: String(t.metricsPort) },
        'sender-webhook': { NM_SENDER_CONCURRENCY: '2' },
      },
    });
  });
  afterAll(async () => {
    await t.stack?.stop();
    await t.sink?.close();
  });
  const holds = (reason?: 'senders-behind' | 'input-late'): Promise<number> =>
    metricSum(t.metricsPort, 'nm_aggregator_coalesce_holds_total', (l) => l.channel === 'webhook' && (reason === undefined || l.reason === reason));
  const delivered = (phase: string): Array<{ wave: string; alertname: string }[]> =>
    t.sink
      .accepted('/c')
      .map((r) => (r.body as WebhookNotification).alerts.map((a) => ({ wave: a.labels.wave!, alertname: a.labels.alertname! })))
      .filter((alerts) => alerts.some((a) => a.alertname.startsWith(`${phase}-`)));
  return { t, holds, delivered };
}

describe('coalescing under load: while the senders are behind', () => {
  // the input-late rule off: these holds are the senders' backlog's alone
  const { t, holds, delivered } = coalescingStack({ NM_AGGREGATOR_COALESCE_BACKLOG: '8', NM_AGGREGATOR_COALESCE_LAG_MS: '0' });

  it('flushes every due group at once while nothing waits for a sender, however many fall due together', async () => {
    // 20 groups fall due in the same instant, more than the threshold, with no notification waiting:
    // each is flushed (the flushes go to senders that take them at once), none is held
    expect((await t.stack.postAlerts(wave('idle', 1))).status).toBe(200);
    await waitFor('20 notifications', () => delivered('idle').length === GROUPS, 30_000);
    expect(await holds()).toBe(0);
  });

  it('holds due groups while notifications wait for a slow sender, and their next alerts join them: every alert once', async () => {
    t.sink.respondWith(() => ({ status: 200, delayMs: 500 }));
    try {
      // wave 1: 20 notifications for a sender that delivers 2 at once, 2 per second: most wait
      expect((await t.stack.postAlerts(wave('busy', 1))).status).toBe(200);
      await sleep(400);
      // waves 2 and 3 fall due while they wait: held, and wave 3 joins wave 2's groups
      expect((await t.stack.postAlerts(wave('busy', 2))).status).toBe(200);
      await sleep(300);
      expect((await t.stack.postAlerts(wave('busy', 3))).status).toBe(200);
      await waitFor('every alert of the three waves delivered', () => delivered('busy').flat().length >= 3 * GROUPS, 60_000);
      await sleep(1000);
      const notifications = delivered('busy');
      const alerts = notifications.flat().map((a) => `${a.alertname}/${a.wave}`);
      expect(alerts).toHaveLength(3 * GROUPS);
      expect(new Set(alerts).size).toBe(3 * GROUPS);
      expect(await holds('senders-behind')).toBeGreaterThan(0);
      // coalesced: fewer notifications than groups × waves, some carrying waves 2 and 3 together
      expect(notifications.length).toBeLessThan(3 * GROUPS);
      expect(notifications.some((n) => n.some((a) => a.wave === '2') && n.some((a) => a.wave === '3'))).toBe(true);
    } finally {
      t.sink.respondWith(undefined);
    }
  });
});

describe('coalescing under load: while the input is late', () => {
  // the senders' rule off: these holds are the input's delay's alone; the cap (2 s by default) well
  // above the second or so between wave 2's arrival and wave 3's on a slow machine
  const { t, holds, delivered } = coalescingStack({ NM_AGGREGATOR_COALESCE_BACKLOG: '0', NM_AGGREGATOR_COALESCE_MAX_MS: '5000' });

  it('holds due groups while routed messages arrive late, and the next alerts join them: every alert once', async () => {
    const lateBefore = await holds('input-late');
    // on time first: the aggregator's baseline delay
    expect((await t.stack.postAlerts(wave('late', 1))).status).toBe(200);
    await waitFor('wave 1 delivered', () => delivered('late').flat().length >= GROUPS, 30_000);
    // the router is away while wave 2 is received: its messages wait in the admitted stream
    await t.stack.kill9('router');
    expect((await t.stack.postAlerts(wave('late', 2))).status).toBe(200);
    await sleep(1500);
    t.stack.start('router');
    // wave 2 reaches the aggregator 1.5 s and more after its receipt; wave 3 is posted 300 ms after
    // that, when wave 2's groups are due (100 ms wait): they are held, and wave 3 joins them
    const nc = await connect({ servers: t.stack.nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const { stream, durable } = consumers.router;
      await waitFor('wave 2 routed', async () => {
        const info = await jsm.consumers.info(stream, durable).catch(() => undefined);
        return info !== undefined && info.delivered.consumer_seq > 0 && info.num_pending === 0 && info.num_ack_pending === 0;
      }, 30_000, 20);
    } finally {
      await nc.close();
    }
    // what the aggregator reports of it (its last second's arrivals, above the on-time baseline)
    expect(await metricSum(t.metricsPort, 'nm_aggregator_input_late_seconds')).toBeGreaterThan(0.5);
    await sleep(300);
    expect((await t.stack.postAlerts(wave('late', 3))).status).toBe(200);
    await waitFor('every alert of the three waves delivered', () => delivered('late').flat().length >= 3 * GROUPS, 60_000);
    await sleep(1000);
    const notifications = delivered('late');
    const alerts = notifications.flat().map((a) => `${a.alertname}/${a.wave}`);
    expect(alerts).toHaveLength(3 * GROUPS);
    expect(new Set(alerts).size).toBe(3 * GROUPS);
    expect(await holds('input-late')).toBeGreaterThan(lateBefore);
    // wave 2's groups carried wave 3's alerts (without the hold each wave is a notification of its own)
    expect(notifications.filter((n) => n.some((a) => a.wave === '2') && n.some((a) => a.wave === '3')).length).toBeGreaterThan(GROUPS / 2);
  });
});
