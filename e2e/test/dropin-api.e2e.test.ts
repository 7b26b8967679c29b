import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startWebhookSink, waitFor, type SinkRequest, type WebhookSink } from '@nm/testing';
import { startVendorFake, type VendorFake } from '@nm/testing/vendor-fake';
import { SERVICES, startStack, type Stack } from './support/stack.js';

/**
 * notification-manager's drop-in APIs through the running stack: POST /api/v2/verify and
 * /api/v2/notifications (console-style bodies from its API docs, delivered by sender-webhook and
 * sender-slack against the webhook sink and the Slack fake, with their error answers), the
 * `receiver` label on delivered alerts, and the history webhook (spec.history.webhook): exactly
 * the notified alerts, four attempts, nothing lost to a kill -9 of sender-webhook.
 */

const API = 'notification.kubesphere.io/v2beta2';
const SLACK_TOKEN = 'xoxb-dropin-e2e';
const TIMEOUT_S = 8;

const docs = (...objects: object[]): string => objects.map((o) => JSON.stringify(o, null, 2)).join('\n---\n');

interface Answer {
  status: number;
  body: { Status: number; Message: string };
}
interface HistoryBody {
  alerts: Array<{
    id: string;
    status: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    notificationTime: string;
    receiver: Record<string, Record<string, string>>;
  }>;
  groupLabels: unknown;
  commonLabels: unknown;
  commonAnnotations: unknown;
}
interface V4Body {
  alerts: Array<{ labels: Record<string, string>; annotations: Record<string, string> }>;
}

const webhookReceiver = (name: string, url: string, labels: Record<string, string>): object => ({
  apiVersion: API,
  kind: 'Receiver',
  metadata: { name, labels },
  spec: { webhook: { url } },
});

describe('drop-in APIs and the history webhook through the running stack', () => {
  let sink: WebhookSink;
  let fake: VendorFake;
  let stack: Stack;

  const at = (path: string): SinkRequest[] => sink.requests.filter((r) => r.path === path);
  const send = async (api: 'verify' | 'notifications', body: unknown): Promise<Answer> => {
    const r = await fetch(`${stack.ingestUrl}/api/v2/${api}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Answer['body'] };
  };
  const historyAlerts = (): Array<HistoryBody['alerts'][number]> =>
    sink.accepted('/history').flatMap((r) => (r.body as HistoryBody).alerts);

  beforeAll(async () => {
    sink = await startWebhookSink();
    fake = await startVendorFake({ slack: { tokens: [SLACK_TOKEN], channels: ['#ops'] } });
    // slow answers on /slow: longer than the webhook timeout (5s), so every attempt times out
    sink.respondWith((r) => (r.path === '/slow' ? { status: 200, delayMs: 12_000 } : r.path === '/broken' ? { status: 500 } : r.path === '/rejects' ? { status: 400 } : undefined));
    stack = await startStack({
      manifests: {
        'nm.yaml': docs({
          apiVersion: API,
          kind: 'NotificationManager',
          metadata: { name: 'notification-manager' },
          spec: {
            defaultConfigSelector: { matchLabels: { type: 'default' } },
            receivers: {
              tenantKey: 'namespace',
              globalReceiverSelector: { matchLabels: { type: 'global' } },
              tenantReceiverSelector: { matchLabels: { type: 'tenant' } },
            },
            groupLabels: ['alertname', 'namespace'],
            batchMaxSize: 100,
            batchMaxWait: '300ms',
            aggregation: { mode: 'batch' },
            history: { webhook: { url: `${sink.url}/history` } },
          },
        }),
        'receivers.yaml': docs(
          webhookReceiver('ops-global', `${sink.url}/global`, { type: 'global' }),
          webhookReceiver('team-a-hook', `${sink.url}/team-a`, { type: 'tenant', namespace: 'team-a' }),
          webhookReceiver('team-b-rejects', `${sink.url}/rejects`, { type: 'tenant', namespace: 'team-b' }),
        ),
      },
      services: [...SERVICES, 'sender-slack'],
      readyTimeoutMs: 240_000, // eight processes booting on a loaded machine
      env: {
        ingest: { NM_API_SEND_TIMEOUT: `${TIMEOUT_S}s` },
        'sender-webhook': { NM_HISTORY_WEBHOOK_RETRY_DELAY: '1s' },
        'sender-slack': { NM_SLACK_API_URL: fake.urls.slackApi },
      },
    });
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
    await fake?.close();
  });

  it('verify: the console body sends notification-manager\'s test alert through sender-webhook and answers "Verify successfully"', async () => {
    const body = {
      receiver: {
        apiVersion: API,
        kind: 'Receiver',
        metadata: { name: 'test-user-receiver', labels: { app: 'notification-manager', type: 'global' } },
        spec: { webhook: { url: `${sink.url}/verify` } },
      },
    };
    const answer = await send('verify', body);
    expect(answer).toEqual({ status: 200, body: { Status: 200, Message: 'Verify successfully' } });
    expect(at('/verify')).toHaveLength(1);
    const alert = (at('/verify')[0]!.body as V4Body).alerts[0]!;
    expect(alert.labels).toMatchObject({ alertname: 'verify', alerttype: 'verify', receiver: 'test-user-receiver' });
    expect(alert.labels['alerttime']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} [+-]\d{4} \S+$/);
    expect(alert.labels['cluster']).toBeUndefined();
    expect(alert.annotations).toEqual({ message: 'Congratulations, your notification configuration is correct!' });
  });

  it('verify: a Slack receiver with the console\'s inline Config goes through sender-slack to the Slack API', async () => {
    const body = {
      config: {
        apiVersion: API,
        kind: 'Config',
        metadata: { name: 'test-user-config', labels: { app: 'notification-manager', type: 'default' } },
        spec: { slack: { slackTokenSecret: { value: SLACK_TOKEN } } },
      },
      receiver: {
        apiVersion: API,
        kind: 'Receiver',
        metadata: { name: 'test-user-receiver', labels: { app: 'notification-manager', type: 'global' } },
        spec: { slack: { channels: ['#ops'] } },
      },
    };
    const before = fake.requestsTo('slack.postMessage').length;
    expect(await send('verify', body)).toEqual({ status: 200, body: { Status: 200, Message: 'Verify successfully' } });
    const posts = fake.requestsTo('slack.postMessage').slice(before);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);
    expect(JSON.stringify(posts[0]!.body)).toContain('Congratulations, your notification configuration is correct!');

    // a wrong token: Slack refuses, the answer is 400 with the sender's error
    const wrong = structuredClone(body);
    wrong.config.spec.slack.slackTokenSecret.value = 'xoxb-wrong';
    const refused = await send('verify', wrong);
    expect(refused.status).toBe(400);
    expect(refused.body.Status).toBe(400);
    expect(refused.body.Message).toContain('slack/test-user-receiver');
    expect(refused.body.Message).toContain('invalid_auth');
  });

  it('notifications: the documented body delivers its alerts, one notification per group, with the receiver label', async () => {
    const payload = {
      receiver: 'Critical',
      status: 'firing',
      alerts: ['KubePodCrashLooping', 'KubeDeploymentReplicasMismatch'].map((alertname) => ({
        status: 'firing',
        labels: { alertname, namespace: 'pp1', pod: 'dd1-0', severity: 'critical' },
        annotations: { message: `${alertname} in pp1` },
        startsAt: '2020-02-26T07:05:04.989876849Z',
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: 'a4c6c4f7a49ca0ae',
      })),
      groupLabels: { alertname: 'KubePodCrashLooping', namespace: 'pp1' },
      externalURL: 'http://alertmanager-main-2:9093',
    };
    const receiver = { apiVersion: API, kind: 'Receiver', metadata: { name: 'direct', labels: { type: 'tenant', namespace: 'pp1' } }, spec: { webhook: { url: `${sink.url}/direct` } } };
    const answer = await send('notifications', { receiver, alert: payload });
    expect(answer).toEqual({ status: 200, body: { Status: 200, Message: 'Send alerts successfully' } });
    const bodies = at('/direct').map((r) => r.body as V4Body);
    expect(bodies).toHaveLength(2);
    expect(bodies.map((b) => b.alerts.map((a) => a.labels['alertname'])).sort()).toEqual([['KubeDeploymentReplicasMismatch'], ['KubePodCrashLooping']]);
    for (const b of bodies) expect(b.alerts[0]!.labels['receiver']).toBe('direct');
  });

  it('answers notification-manager\'s 400 texts, 503 without a sender, 400 with the send error, 504 after its timeout', async () => {
    const hook = (labels: Record<string, string>, url = `${sink.url}/x`): object => ({ metadata: { name: 'r', labels }, spec: { webhook: { url } } });
    expect(await send('verify', {})).toEqual({ status: 400, body: { Status: 400, Message: 'Receiver is nil' } });
    expect(await send('verify', { receiver: hook({ team: 'x' }) })).toEqual({ status: 400, body: { Status: 400, Message: 'unknown tenant' } });
    expect(await send('verify', { receiver: { metadata: { name: 'r', labels: { type: 'global' } }, spec: {} } })).toEqual({
      status: 400,
      body: { Status: 400, Message: 'no receivers provided' },
    });
    expect(await send('notifications', { receiver: hook({ type: 'global' }) })).toEqual({ status: 400, body: { Status: 400, Message: 'alert is nil' } });
    const notJson = await send('verify', '{"receiver":');
    expect(notJson.status).toBe(400);
    const badAlert = await send('notifications', { receiver: hook({ type: 'global' }), alert: { alerts: [{ labels: { alertname: 5 } }] } });
    expect(badAlert.status).toBe(400);
    expect(badAlert.body.Message).toContain('alert.alerts[0].labels.alertname');
    // no sender-email runs in this stack
    const email = await send('verify', { receiver: { metadata: { name: 'mail', labels: { type: 'global' } }, spec: { email: { to: ['a@example.com'] } } } });
    expect(email.status).toBe(503);
    expect(email.body.Message).toContain('no sender-email is running');
    // the endpoint answers 500 every time: three attempts (each with the webhook sender's one inline retry), then the answer
    const broken = await send('verify', { receiver: hook({ type: 'global' }, `${sink.url}/broken`) });
    expect(broken.status).toBe(400);
    expect(broken.body.Message).toMatch(/^webhook\/r: .*500/);
    expect(at('/broken')).toHaveLength(6);
    // the send ends there: dead-lettered with the reason, no fourth attempt (the backoff gap is ~2-3 s)
    const dead = async (): Promise<Array<{ stage: string; reason: string; code?: string; error: string }>> =>
      ((await (await fetch(`${stack.ingestUrl}/api/v2/dlq?stage=sender-webhook`)).json()) as { items: Array<{ stage: string; reason: string; code?: string; error: string }> }).items;
    await waitFor('dead letter of the broken verify', async () => (await dead()).some((d) => d.code === 'API_ATTEMPTS_SPENT'), 20_000);
    await new Promise((r) => setTimeout(r, 5000));
    expect(at('/broken')).toHaveLength(6);
    expect((await dead()).filter((d) => d.code === 'API_ATTEMPTS_SPENT')).toEqual([
      expect.objectContaining({ stage: 'sender-webhook', reason: 'permanent-error', error: expect.stringContaining('3 attempts are spent') }),
    ]);
    // every attempt times out: no outcome within the request's timeout
    const started = Date.now();
    const slow = await send('verify', { receiver: hook({ type: 'global' }, `${sink.url}/slow`) });
    expect(slow.status).toBe(504);
    expect(slow.body.Message).toContain(`no outcome from sender-webhook within ${TIMEOUT_S}s`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_S * 1000 - 500);
  }, 90_000);

  it('history webhook: exactly the notified alerts, as notification-manager\'s Data JSON, API sends left out', async () => {
    const post = await stack.postAlerts({
      receiver: 'am',
      status: 'firing',
      alerts: [
        { labels: { alertname: 'DiskFull', namespace: 'team-a', instance: 'n1' }, annotations: { message: 'disk full' } },
        { labels: { alertname: 'CpuHigh', namespace: 'team-b' }, annotations: { message: 'cpu high' } },
      ],
    });
    expect(post.status).toBe(200);
    // DiskFull: ops-global and team-a-hook; CpuHigh: ops-global (team-b-rejects answers 400, so not notified there)
    const expected = [
      ['DiskFull', 'ops-global'],
      ['DiskFull', 'team-a-hook'],
      ['CpuHigh', 'ops-global'],
    ];
    const pairs = (): string[][] =>
      historyAlerts()
        .filter((a) => ['DiskFull', 'CpuHigh'].includes(a.labels['alertname']!))
        .map((a) => [a.labels['alertname']!, ...Object.keys(a.receiver)]);
    await waitFor('history of 3 deliveries', () => pairs().length >= 3 && at('/rejects').length >= 1, 30_000);
    await new Promise((r) => setTimeout(r, 2000)); // nothing more arrives
    expect(pairs().sort()).toEqual([...expected].sort());

    const disk = historyAlerts().find((a) => a.labels['alertname'] === 'DiskFull' && 'team-a-hook' in a.receiver)!;
    expect(disk.receiver).toEqual({ 'team-a-hook': { webhook: `${sink.url}/team-a` } });
    expect(disk.labels).toEqual({ alertname: 'DiskFull', namespace: 'team-a', instance: 'n1', cluster: 'default' });
    expect(disk.annotations).toEqual({ message: 'disk full' });
    expect(disk.status).toBe('firing');
    expect(Date.parse(disk.notificationTime)).not.toBeNaN();
    const raw = sink.accepted('/history').find((r) => (r.body as HistoryBody).alerts.some((a) => a.id === disk.id))!.body as HistoryBody;
    expect(raw).toMatchObject({ groupLabels: null, commonLabels: null, commonAnnotations: null });
    // the receivers themselves got the receiver label
    const delivered = at('/team-a').flatMap((r) => (r.body as V4Body).alerts).find((a) => a.labels['alertname'] === 'DiskFull')!;
    expect(delivered.labels['receiver']).toBe('team-a-hook');
    // verify and notifications sends are not history
    expect(historyAlerts().some((a) => a.labels['alertname'] === 'verify' || 'direct' in a.receiver || 'test-user-receiver' in a.receiver)).toBe(false);
  });

  it('history webhook: four attempts, then a dead letter of stage history-webhook', async () => {
    sink.respondWith((r) =>
      r.path === '/history' && (r.body as HistoryBody).alerts.some((a) => a.labels['alertname'] === 'Flapping')
        ? { status: 503 }
        : r.path === '/rejects'
          ? { status: 400 }
          : undefined,
    );
    expect((await stack.postAlerts({ alerts: [{ labels: { alertname: 'Flapping' }, annotations: {} }] })).status).toBe(200);
    const flapping = (): SinkRequest[] => at('/history').filter((r) => (r.body as HistoryBody).alerts.some((a) => a.labels['alertname'] === 'Flapping'));
    await waitFor('4 attempts', () => flapping().length >= 4, 30_000);
    const dead = async (): Promise<Array<{ stage: string; reason: string }>> =>
      ((await (await fetch(`${stack.ingestUrl}/api/v2/dlq?stage=history-webhook`)).json()) as { items: Array<{ stage: string; reason: string }> }).items;
    await waitFor('dead letter', async () => (await dead()).length >= 1, 20_000);
    await new Promise((r) => setTimeout(r, 3000));
    expect(flapping()).toHaveLength(4);
    const gaps = flapping().slice(1).map((r, i) => r.receivedAt - flapping()[i]!.receivedAt);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(700); // 1s apart here (NM_HISTORY_WEBHOOK_RETRY_DELAY), jitter ±20%
    expect(await dead()).toEqual([expect.objectContaining({ stage: 'history-webhook', reason: 'retries-exhausted' })]);
    sink.respondWith((r) => (r.path === '/rejects' ? { status: 400 } : undefined));
  }, 60_000);

  it('history webhook: kill -9 of sender-webhook while it posts loses nothing', async () => {
    // history answers take 4s (under the 5s webhook timeout): the kill lands while they are in flight
    sink.respondWith((r) => (r.path === '/history' ? { status: 200, delayMs: 4000 } : r.path === '/rejects' ? { status: 400 } : undefined));
    const names = ['Crash1', 'Crash2', 'Crash3'];
    const base = sink.stats().arrived;
    expect((await stack.postAlerts({ alerts: names.map((alertname) => ({ labels: { alertname }, annotations: {} })) })).status).toBe(200);
    const arrived = (): SinkRequest[] => at('/history').filter((r) => (r.body as HistoryBody).alerts.some((a) => names.includes(a.labels['alertname']!)));
    // three notifications reach /global; a fourth arrival is a history POST (the sink records it only when it answers)
    await waitFor('a history POST in flight', () => sink.stats().arrived >= base + 4, 30_000);
    await stack.kill9('sender-webhook');
    await new Promise((r) => setTimeout(r, 4500)); // the delayed answers go out to a dead client
    // the POSTs the kill interrupted (their answer had not gone out): these must come again
    const interrupted = new Set(arrived().filter((r) => !r.completed).flatMap((r) => (r.body as HistoryBody).alerts.map((a) => a.labels['alertname']!)));
    expect(interrupted.size).toBeGreaterThan(0);
    sink.respondWith((r) => (r.path === '/rejects' ? { status: 400 } : undefined));
    const restartedAt = Date.now();
    stack.start('sender-webhook');
    const accepted = (): string[] =>
      sink
        .accepted('/history')
        .filter((r) => r.completed && r.receivedAt >= restartedAt)
        .flatMap((r) => (r.body as HistoryBody).alerts.map((a) => a.labels['alertname']!))
        .filter((n) => names.includes(n));
    // redelivered once the consumer's ack wait (15s) has passed and the new process is up
    await waitFor('the interrupted alerts, posted again after the restart', () => [...interrupted].every((n) => accepted().includes(n)), 120_000);
    const all = new Set([...accepted(), ...sink.accepted('/history').filter((r) => r.completed).flatMap((r) => (r.body as HistoryBody).alerts.map((a) => a.labels['alertname']!))]);
    expect(names.every((n) => all.has(n))).toBe(true);
  }, 200_000);
});
