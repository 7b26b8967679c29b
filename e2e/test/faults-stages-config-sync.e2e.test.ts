import { renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack } from './support/stack.js';
import { AlertPoster, countInLogs, logLines, repeatedNames, sinkAlertNames, sinkRequests, waitForAlerts, waitQuiet } from './support/stage-faults.js';

/**
 * kill -9 of config-sync while alerts flow and while a manifest change is being applied. The
 * directory holds many (idle) receivers, so mirroring takes a while; a new receiver `cs-b` for the
 * tenant is written and config-sync is killed part-way into the sync that picks it up. The other
 * services keep their configuration snapshot: routing to `cs-a` goes on while config-sync is
 * down, every accepted alert reaches `cs-a` exactly once. After the restart the change takes
 * effect: alerts posted from then on reach `cs-b` as well, once each.
 */
describe('kill -9 of config-sync while a change is applied', () => {
  const FILLERS = 1500;
  const POLL_MS = 50;
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '200ms', groupLabels: ['alertname'] }),
        'a.yaml': docs(webhookReceiver('cs-a', `${sink.url}/csa`, { type: 'tenant', namespace: 'ns-cs' })),
      },
      env: { 'config-sync': { NM_CONFIG_POLL_MS: String(POLL_MS) } },
    });
    sink.respondWith(() => ({ status: 200, delayMs: 10 }));
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  /** Replaces a manifest file in one step (config-sync never reads half a file). */
  const writeManifest = (file: string, text: string): void => {
    const tmp = join(tmpdir(), `nm-e2e-${process.pid}-${file}`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(stack.configDir, file));
  };
  const MIRRORED = 'configuration mirrored';
  /** Receivers ingest's configuration snapshot routes an alert of the tenant to (its dry-run API). */
  const routesTo = async (): Promise<string> => {
    const r = await fetch(`${stack.ingestUrl}/api/v2/route`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ labels: { alertname: 'probe', namespace: 'ns-cs' } }),
    });
    return r.ok ? JSON.stringify(await r.json()) : '';
  };

  it('routing goes on with the last snapshot; the change takes effect after the restart', async () => {
    // Many idle receivers (other namespaces): mirroring takes long enough to be killed in the middle.
    const fillers = docs(...Array.from({ length: FILLERS }, (_, i) => webhookReceiver(`filler-${i}`, `${sink.url}/filler`, { type: 'tenant', namespace: `filler-${i}` })));
    let before = countInLogs(stack, 'config-sync', MIRRORED);
    let t0 = Date.now();
    writeManifest('fillers.yaml', fillers);
    await waitFor('fillers mirrored', () => countInLogs(stack, 'config-sync', MIRRORED) > before, 60_000, 5);
    const applyMs = Date.now() - t0;
    await waitFor('readers on the filler revision', async () => (await routesTo()).includes('cs-a'), 30_000);

    const poster = new AlertPoster(stack, { prefix: 'kill-cs', namespace: 'ns-cs', workers: 2, gapMs: 250, maxPosts: 300 });
    poster.start();
    await waitFor('first deliveries', () => sinkAlertNames(sink, '/csa').length >= 5, 30_000);

    // The change: a second receiver for the tenant. Kill config-sync part-way into the sync.
    before = countInLogs(stack, 'config-sync', MIRRORED);
    t0 = Date.now();
    writeManifest('b.yaml', docs(webhookReceiver('cs-b', `${sink.url}/csb`, { type: 'tenant', namespace: 'ns-cs' })));
    await sleep(Math.max(2 * POLL_MS, Math.floor(applyMs * 0.25)));
    await stack.kill9('config-sync');
    const killedAt = Date.now();
    const killDelayMs = killedAt - t0;
    await sleep(200); // output written before the kill has arrived
    const mirroredBeforeKill = countInLogs(stack, 'config-sync', MIRRORED) > before;
    const routeAtKill = await routesTo();
    await sleep(2000); // config-sync down: alerts keep flowing
    const restartedAt = Date.now();
    stack.start('config-sync');
    await waitFor('the change in effect (ingest routes to cs-b)', async () => (await routesTo()).includes('cs-b'), 60_000, 100);
    const changeSeenAt = Date.now();
    poster.stopAfter(4000);
    await poster.done();

    const accepted = poster.accepted();
    // alerts posted well after ingest saw the change: every reader has reloaded by then (pub/sub, 1 s poll)
    const late = poster.posts.filter((p) => p.acceptedAt !== undefined && p.startedAt >= changeSeenAt + 2000).flatMap((p) => p.names);
    const whileDown = poster.posts.filter((p) => p.acceptedAt !== undefined && p.startedAt >= killedAt && p.startedAt < restartedAt).flatMap((p) => p.names);
    await waitForAlerts(sink, '/csa', accepted, 120_000);
    await waitForAlerts(sink, '/csb', late, 120_000);
    await waitQuiet(sink, { notBefore: Date.now() + 2000, quietMs: 5000 });

    const a = sinkAlertNames(sink, '/csa');
    const b = sinkAlertNames(sink, '/csb');
    const repeatedA = repeatedNames(a);
    const repeatedB = repeatedNames(b);
    process.stdout.write(
      `config-sync kill -9: ${FILLERS} filler receivers mirrored in ${applyMs} ms (write to log line); change written, config-sync killed ${killDelayMs} ms later, ` +
        `${mirroredBeforeKill ? 'AFTER it had mirrored the change' : 'before it had mirrored the change'}; ingest routed to cs-b right after the kill: ${routeAtKill.includes('cs-b')}; ` +
        `change seen by ingest ${changeSeenAt - restartedAt} ms after the restart; ${poster.posts.length} POSTs (${poster.statusSummary()}), ` +
        `${accepted.length} alerts accepted, ${whileDown.length} posted while config-sync was down; ` +
        `cs-a: ${sinkRequests(sink, '/csa').length} requests, ${a.length} alert deliveries, ${new Set(a).size} distinct; ` +
        `cs-b: ${b.length} alert deliveries, ${new Set(b).size} distinct, ${late.length} expected for sure; fillers: ${sinkRequests(sink, '/filler').length} requests\n`,
    );
    if (Object.keys(repeatedA).length + Object.keys(repeatedB).length > 0)
      process.stdout.write(`config-sync repeated: cs-a ${JSON.stringify(repeatedA)} cs-b ${JSON.stringify(repeatedB)}\n`);
    if (mirroredBeforeKill) process.stdout.write(`config-sync log:\n${logLines(stack, 'config-sync', [MIRRORED, '"level":40', '"level":50']).join('\n')}\n`);

    expect(mirroredBeforeKill).toBe(false); // the kill came while the change was being applied
    expect(routeAtKill.includes('cs-b')).toBe(false);
    expect(whileDown.length).toBeGreaterThan(0);
    expect(poster.posts.filter((p) => p.acceptedAt === undefined).map((p) => p.statuses)).toEqual([]);
    // routing never stopped: every accepted alert (those posted while config-sync was down too) reached cs-a once
    expect(accepted.filter((n) => !a.includes(n))).toEqual([]);
    expect(repeatedA).toEqual({});
    expect(a.filter((n) => !accepted.includes(n))).toEqual([]);
    // the change took effect after the restart
    expect(late.length).toBeGreaterThan(0);
    expect(late.filter((n) => !b.includes(n))).toEqual([]);
    expect(repeatedB).toEqual({});
    expect(b.filter((n) => !accepted.includes(n))).toEqual([]);
    expect(sinkRequests(sink, '/filler')).toHaveLength(0);
  }, 300_000);
});
