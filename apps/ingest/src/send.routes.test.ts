import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { NotificationSchema, type ApiOutcome, type Notification } from '@nm/contracts';
import type { Publisher } from '@nm/bus';
import { emptySnapshot, type ConfigSnapshot } from '@nm/model';
import { createHealth, createLogger, Metrics } from '@nm/telemetry';
import { createIngestApp } from './ingest.app.js';
import type { OutcomeInbox } from './send.routes.js';

/**
 * POST /api/v2/verify and /api/v2/notifications in ingest: what is published for the senders and
 * how their outcomes become the answer (the bus replaced by an in-memory publisher and inbox; the
 * senders' side is tested in sender-webhook and e2e/test/dropin-api.e2e.test.ts).
 */

const NOW = new Date('2026-11-22T10:00:00Z');
const snapshot: ConfigSnapshot = {
  ...emptySnapshot(3),
  notificationManager: {
    apiVersion: 'notification.kubesphere.io/v2beta2',
    kind: 'NotificationManager',
    metadata: { name: 'notification-manager' },
    spec: {
      receivers: { tenantKey: 'namespace', globalReceiverSelector: { matchLabels: { type: 'global' } }, tenantReceiverSelector: { matchLabels: { type: 'tenant' } } },
      defaultConfigSelector: { matchLabels: { type: 'default' } },
      groupLabels: ['alertname'],
    },
  } as unknown as ConfigSnapshot['notificationManager'],
};

type Script = (n: Notification) => Omit<ApiOutcome, 'version' | 'requestId' | 'notificationId' | 'receiver' | 'time'> | undefined;

function setup(script: Script, opts: { alive?: boolean; timeoutMs?: number } = {}) {
  const published: Notification[] = [];
  const listeners = new Map<string, (o: ApiOutcome) => void>();
  const publisher: Publisher = {
    publish: (_subject, payload) => {
      const n = NotificationSchema.parse(payload);
      published.push(n);
      const o = script(n);
      if (o) setTimeout(() => listeners.get(n.api!.requestId)?.({ version: 1, requestId: n.api!.requestId, notificationId: n.id, receiver: n.receiver, time: NOW.toISOString(), ...o }), 5);
      return Promise.resolve({ seq: published.length, duplicate: false });
    },
  };
  const inbox: OutcomeInbox = {
    open: (requestId) => {
      const got: ApiOutcome[] = [];
      listeners.set(requestId, (o) => got.push(o));
      return Promise.resolve({
        wait: async (count, timeoutMs) => {
          const until = Date.now() + timeoutMs;
          while (got.length < count && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
          return got;
        },
        close: () => listeners.delete(requestId),
      });
    },
  };
  const app = createIngestApp({
    publisher,
    logger: createLogger('t', 'silent'),
    metrics: new Metrics('t'),
    health: createHealth(),
    snapshot: () => snapshot,
    maxBodyBytes: 1024 * 1024,
    maxMessageBytes: 1024 * 1024,
    now: () => NOW,
    sends: {
      seal: (text) => `sealed:${Buffer.from(text).toString('base64')}`,
      inbox,
      senderAlive: () => Promise.resolve(opts.alive ?? true),
      timeoutMs: opts.timeoutMs ?? 2000,
    },
  });
  return { app, published };
}

const receiver = { apiVersion: 'notification.kubesphere.io/v2beta2', kind: 'Receiver', metadata: { name: 'ops', labels: { type: 'global' } }, spec: { webhook: { url: 'http://127.0.0.1:9/x' }, slack: { channels: ['#ops'] } } };
const unseal = (sealed: string): unknown => JSON.parse(Buffer.from(sealed.slice('sealed:'.length), 'base64').toString('utf8'));

describe('POST /api/v2/verify and /api/v2/notifications', () => {
  it('verify: one notification per channel section with the synthetic alert and the sealed request; 200 once every sender reported delivery', async () => {
    const { app, published } = setup(() => ({ result: 'delivered' }));
    const config = { metadata: { name: 'c', labels: { type: 'default' } }, spec: { slack: { slackTokenSecret: { value: 'xoxb-1' } } } };
    const res = await request(app).post('/api/v2/verify').send({ receiver, config });
    expect(res.body).toEqual({ Status: 200, Message: 'Verify successfully' });
    expect(published.map((n) => [n.receiver, n.alerts.length, n.api?.kind, n.api?.maxAttempts])).toEqual([
      [{ name: 'ops', channel: 'slack', tenant: 'notification-manager/type/global' }, 1, 'verify', 3],
      [{ name: 'ops', channel: 'webhook', tenant: 'notification-manager/type/global' }, 1, 'verify', 3],
    ]);
    const alert = published[0]!.alerts[0]!;
    expect(alert.labels).toEqual({ alertname: 'verify', alerttype: 'verify', alerttime: expect.stringMatching(/^2026-11-22 \d\d:00:00\.000000000 /) as unknown });
    expect(alert.annotations).toEqual({ message: 'Congratulations, your notification configuration is correct!' });
    expect(published[0]!.api!.deadline).toBe(new Date(NOW.getTime() + 2000).toISOString());
    expect(unseal(published[0]!.api!.sealed)).toMatchObject({ receiver: { metadata: { name: 'ops' } }, config: { spec: { slack: { slackTokenSecret: { value: 'xoxb-1' } } } } });
    expect(JSON.stringify(published[0]!)).not.toContain('xoxb-1');
  });

  it('notifications: groups the alerts by groupLabels; joins the failures of the senders into a 400', async () => {
    const { app, published } = setup((n) => (n.receiver.channel === 'slack' && n.groupLabels['alertname'] === 'B' ? { result: 'failed', error: 'slack: channel_not_found' } : { result: 'delivered' }));
    const alert = { alerts: ['A', 'B', 'A'].map((alertname, i) => ({ labels: { alertname, i: String(i) } })) };
    const res = await request(app).post('/api/v2/notifications').send({ receiver, alert });
    expect(res.body).toEqual({ Status: 400, Message: 'slack/ops: slack: channel_not_found' });
    expect(published.map((n) => [n.receiver.channel, n.groupLabels['alertname'], n.alerts.map((a) => a.labels['i'])])).toEqual([
      ['slack', 'A', ['0', '2']],
      ['slack', 'B', ['1']],
      ['webhook', 'A', ['0', '2']],
      ['webhook', 'B', ['1']],
    ]);
    const ok = setup(() => ({ result: 'delivered' }));
    expect((await request(ok.app).post('/api/v2/notifications').send({ receiver, alert })).body).toEqual({ Status: 200, Message: 'Send alerts successfully' });
  });

  it('answers 504 naming what did not report within the timeout', async () => {
    const { app } = setup((n) => (n.receiver.channel === 'webhook' ? { result: 'delivered' } : undefined), { timeoutMs: 300 });
    const res = await request(app).post('/api/v2/verify').send({ receiver });
    expect(res.status).toBe(504);
    expect(res.body.Message).toMatch(/^no outcome from sender-slack within 0.3s for 1 of 2 notification\(s\) \(api-[0-9a-f]+-slack-0\); they are not sent after 2026-11-22T10:00:00.300Z$/);
  });

  it('answers notification-manager\'s 400 texts, and 503 when the channel has no running sender', async () => {
    const { app, published } = setup(() => ({ result: 'delivered' }));
    const post = async (path: string, body: unknown) => (await request(app).post(path).send(body as object)).body as { Status: number; Message: string };
    expect(await post('/api/v2/verify', {})).toEqual({ Status: 400, Message: 'Receiver is nil' });
    expect(await post('/api/v2/verify', { receiver: { ...receiver, metadata: { name: 'ops', labels: { team: 'x' } } } })).toEqual({ Status: 400, Message: 'unknown tenant' });
    expect(await post('/api/v2/verify', { receiver: { ...receiver, spec: {} } })).toEqual({ Status: 400, Message: 'no receivers provided' });
    expect(await post('/api/v2/notifications', { receiver })).toEqual({ Status: 400, Message: 'alert is nil' });
    expect((await post('/api/v2/verify', { receiver: { ...receiver, spec: { webhook: { url: 7 } } } })).Message).toMatch(/^receiver: spec\.webhook\.url: /);
    expect((await post('/api/v2/verify', { receiver, config: { metadata: { name: 'c' }, spec: { slack: {} } } })).Message).toMatch(/^config: /);
    expect((await post('/api/v2/notifications', { receiver, alert: { alerts: [] } })).Message).toBe('alert: no alerts to send');
    expect(published).toEqual([]);
    const none = setup(() => ({ result: 'delivered' }), { alive: false });
    const res = await request(none.app).post('/api/v2/verify').send({ receiver });
    expect(res.status).toBe(503);
    expect(res.body.Message).toBe('no sender-slack is running (no heartbeat): the slack section of receiver ops cannot be sent');
  });
});
