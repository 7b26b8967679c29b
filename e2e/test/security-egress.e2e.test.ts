/**
 * The egress guard through the running stack: with NM_EGRESS_DENY=127.0.0.2/32, a webhook
 * Receiver aimed at a listener on 127.0.0.2 is never connected to and its notification is
 * dead-lettered with "egress denied" (and recorded in history, and counted), while a Receiver on
 * 127.0.0.1 gets its alert. Every address here is loopback.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

interface DlqItem {
  seq: number;
  stage: string;
  reason: string;
  error: string;
  code?: string;
}

describe('egress guard: NM_EGRESS_DENY=127.0.0.2/32', () => {
  let sink: WebhookSink;
  let listener: Server;
  let listenerPort: number;
  const connections: string[] = [];
  let stack: Stack;
  let senderHealthPort: number;

  beforeAll(async () => {
    sink = await startWebhookSink();
    // a listener on 127.0.0.2 that records every connection (it must see none)
    listener = createServer((socket) => {
      connections.push(`${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`);
      socket.destroy();
    });
    listener.listen(0, '127.0.0.2');
    await once(listener, 'listening');
    listenerPort = (listener.address() as AddressInfo).port;
    senderHealthPort = await freePort();
    stack = await startStack({
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '300ms' }),
        'receivers.yaml': docs(
          webhookReceiver('to-denied', `http://127.0.0.2:${listenerPort}/hook`, { type: 'tenant', namespace: 'ns-egress' }),
          webhookReceiver('to-allowed', `${sink.url}/ok`, { type: 'tenant', namespace: 'ns-egress' }),
        ),
      },
      commonEnv: { NM_EGRESS_DENY: '127.0.0.2/32' },
      env: { 'sender-webhook': { NM_HEALTH_PORT: String(senderHealthPort) } },
      // six processes booting on a loaded machine; a start that fails reports their logs before the hook times out
      readyTimeoutMs: 120_000,
    });
  }, 150_000);
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
    await new Promise<void>((resolve) => listener?.close(() => resolve()));
  });

  it('never connects to the denied address, dead-letters its notification with "egress denied", and still delivers the allowed one', async () => {
    const res = await stack.postAlerts([{ labels: { alertname: 'EgressProbe', namespace: 'ns-egress', uid: 'e1' } }]);
    expect(res.status).toBe(200);

    const dlqItems = async (): Promise<DlqItem[]> => ((await (await fetch(`${stack.ingestUrl}/api/v2/dlq`)).json()) as { items: DlqItem[] }).items;
    await waitFor(
      'the allowed receiver got the alert and the denied one is dead-lettered',
      async () =>
        sink.requests.some((r) => r.path === '/ok' && (r.body as WebhookNotification).alerts.some((a) => a.labels.uid === 'e1')) &&
        (await dlqItems()).some((i) => i.stage === 'sender-webhook'),
      45_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${stack.logs('sender-webhook').slice(-3000)}`);
    });

    const dead = (await dlqItems()).filter((i) => i.stage === 'sender-webhook');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ reason: 'permanent-error' });
    expect(dead[0]!.error).toContain('egress denied');
    expect(dead[0]!.error).toContain(`127.0.0.2:${listenerPort}`);
    expect(dead[0]!.error).toContain('NM_EGRESS_DENY 127.0.0.2/32');

    // the failure is in the tenant's history too
    type History = { items: Array<{ receiver: string; result: string; error?: string }> };
    const readHistory = async (): Promise<History> => (await (await fetch(`${stack.ingestUrl}/api/v2/history?tenant=ns-egress`)).json()) as History;
    await waitFor('both outcomes in history', async () => new Set((await readHistory()).items.map((h) => h.receiver)).size === 2, 20_000);
    const history = await readHistory();
    const failed = history.items.filter((h) => h.receiver === 'to-denied');
    expect(failed.map((h) => h.result)).toEqual(['failed']);
    expect(failed[0]!.error).toContain('egress denied');
    expect(history.items.filter((h) => h.receiver === 'to-allowed').map((h) => h.result)).toEqual(['delivered']);

    // counted
    const metrics = await (await fetch(`http://127.0.0.1:${senderHealthPort}/metrics`)).text();
    expect(metrics).toMatch(/nm_egress_denied_total\{reason="deny-list"\} [1-9]/);

    // and the listener on 127.0.0.2 saw nothing at all
    await new Promise((r) => setTimeout(r, 1000));
    expect(connections).toEqual([]);
    expect(sink.requests.filter((r) => r.path === '/ok')).toHaveLength(1);
  }, 60_000);
});
