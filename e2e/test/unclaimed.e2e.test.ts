import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Notification } from '@nm/contracts';
import { startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { docs, notificationManager, webhookReceiver } from './support/manifests.js';
import { startStack, type Stack, type WebhookNotification } from './support/stack.js';

interface DlqItem {
  seq: number;
  stage: string;
  reason: string;
  error: string;
  subject: string;
}

/**
 * Notifications of channels no running sender takes — slack and telegram (sender-slack and
 * sender-telegram not deployed) — are dead-lettered by the aggregator's unclaimed
 * notification reaper after NM_NOTIFY_UNCLAIMED_TIMEOUT, while the webhook receiver of the same
 * alerts is delivered; a replay once sender-slack runs delivers the slack notification.
 */
describe('notifications no sender takes', () => {
  let sink: WebhookSink;
  let stack: Stack;

  beforeAll(async () => {
    sink = await startWebhookSink();
    stack = await startStack({
      // sender-slack is not started: its notifications wait with nobody to take them.
      manifests: {
        'nm.yaml': notificationManager({ batchMaxWait: '1s', groupLabels: ['alertname'] }),
        'receivers.yaml': docs(
          webhookReceiver('hooks', `${sink.url}/hooks`, { type: 'global' }),
          `apiVersion: notification.kubesphere.io/v2beta2
kind: Receiver
metadata:
  name: chat-slack
  labels:
    type: global
spec:
  slack:
    channels: []
    webhook:
      value: ${sink.url}/slack-hook
`,
          `apiVersion: notification.kubesphere.io/v2beta2
kind: Receiver
metadata:
  name: chat-telegram
  labels:
    type: global
spec:
  telegram:
    channels: ["@ops"]
`,
        ),
      },
      env: { aggregator: { NM_NOTIFY_UNCLAIMED_TIMEOUT: '2s' } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
  });

  const dlq = async (stage: string): Promise<DlqItem[]> => {
    const r = await fetch(`${stack.ingestUrl}/api/v2/dlq?stage=${stage}`);
    expect(r.status).toBe(200);
    return ((await r.json()) as { items: DlqItem[] }).items;
  };

  it('dead-letters them with the reason after the timeout, delivers the webhook receiver, and a replay reaches a sender started later', async () => {
    const res = await stack.postAlerts([{ labels: { alertname: 'Unclaimed', namespace: 'team-a', severity: 'warning' }, annotations: { message: 'who takes this?' } }]);
    expect(res.status).toBe(200);

    const hooks = await waitFor('the webhook delivery', () => (sink.accepted('/hooks').length > 0 ? sink.accepted('/hooks') : undefined), 30_000);
    expect(hooks.map((r) => (r.body as WebhookNotification).alerts.map((a) => a.labels.alertname))).toEqual([['Unclaimed']]);

    const [slack] = await waitFor('the slack dead letter', async () => ((await dlq('sender-slack')).length > 0 ? dlq('sender-slack') : undefined), 30_000);
    expect(slack).toMatchObject({
      stage: 'sender-slack',
      reason: 'no-sender',
      error: 'no sender-slack has taken this notification within 2s (no live sender-slack instance)',
      subject: 'nm.notify.slack',
    });
    const [telegram] = await waitFor('the telegram dead letter', async () => ((await dlq('sender-telegram')).length > 0 ? dlq('sender-telegram') : undefined), 30_000);
    expect(telegram).toMatchObject({
      stage: 'sender-telegram',
      reason: 'no-sender',
      error: 'no sender-telegram has taken this notification within 2s (no live sender-telegram instance)',
      subject: 'nm.notify.telegram',
    });
    const full = (await (await fetch(`${stack.ingestUrl}/api/v2/dlq/${slack!.seq}`)).json()) as { payload: Notification };
    expect(full.payload.receiver).toEqual({ name: 'chat-slack', channel: 'slack', tenant: expect.any(String) });
    expect(full.payload.alerts.map((a) => a.labels['alertname'])).toEqual(['Unclaimed']);

    // telegram has a sender in this version, it just is not running here
    expect(stack.logs('config-sync')).not.toContain('no sender exists for channel telegram');
    // and the aggregator counted them
    // (the line is written once the channel's round ends, which can be after its dead letter is visible)
    await waitFor('the slack dead-letter log line', () => stack.logs('aggregator').includes('notifications of channel slack dead-lettered'), 10_000);

    // sender-slack comes up; the replayed notification is delivered to its incoming webhook
    stack.start('sender-slack');
    await waitFor('sender-slack started', () => stack.logs('sender-slack').includes('sender started'), 30_000);
    const replay = await fetch(`${stack.ingestUrl}/api/v2/dlq/${slack!.seq}/replay`, { method: 'POST' });
    expect(replay.status).toBe(200);
    const posted = await waitFor('the slack delivery', () => (sink.accepted('/slack-hook').length > 0 ? sink.accepted('/slack-hook') : undefined), 30_000);
    expect(posted).toHaveLength(1);
    expect(JSON.stringify(posted[0]!.body)).toContain('Unclaimed');
    expect((await dlq('sender-slack')).map((d) => d.seq)).toEqual([]); // replayed, and not dead-lettered again
    expect(sink.accepted('/hooks')).toHaveLength(1);
  });
});
