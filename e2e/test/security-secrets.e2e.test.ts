import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort, startWebhookSink, waitFor, type WebhookSink } from '@nm/testing';
import { startVendorFake, type RecordedRequest, type VendorFake } from '@nm/testing/vendor-fake';
import { selfSignedCert, startSmtpSink, type SmtpSink } from './support/smtp.sink.js';
import { SERVICES, startStack, type Service, type Stack } from './support/stack.js';

/**
 * A secret planted in every credential-carrying place of the configuration, delivered through the
 * running stack (one process per service, debug logging), including a retried send, a token
 * refresh and a send that fails for good. The planted value must reach the sink, the SMTP server
 * and the vendor fake (so the test can fail), and nowhere else: not in any process's log, the
 * history, the dead letters, any service's /metrics, or any Redis key or value.
 */

/** Every planted value starts with this (random per run, so nothing else contains it by chance). */
const PLANT = `planted${randomBytes(6).toString('hex')}`;
const SECRET = {
  bearer: `${PLANT}-bearer`,
  header: `${PLANT}-header`,
  urlQuery: `${PLANT}-urlquery`,
  failPath: `${PLANT}-failpath`,
  failQuery: `${PLANT}-failquery`,
  smtp: `${PLANT}-smtp`,
  robotToken: `${PLANT}-robot`,
  robotSign: `SEC${PLANT}-sign`,
  wecom: `${PLANT}-wecom`,
};
const SMTP_USER = 'alert@example.com';
const WECOM = { corpId: 'corp-secrets-e2e', agentId: '1000002' };
const SECRET_NS = 'nm-system';
const API = 'notification.kubesphere.io/v2beta2';
const ALERTNAME = 'SecretsE2E';

const docs = (...objects: object[]): string => objects.map((o) => JSON.stringify(o, null, 2)).join('\n---\n');
const secretRef = (key: string): object => ({ valueFrom: { secretKeyRef: { name: 'planted', key } } });
const SENDERS = ['sender-email', 'sender-wechat', 'sender-dingtalk'] as const satisfies readonly Service[];
const ALL: readonly Service[] = [...SERVICES, ...SENDERS];

/** Every key of a Redis database with its value, whatever its type, as text. */
async function dumpRedis(url: string): Promise<string> {
  const redis = new Redis(url);
  try {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scanBuffer(cursor, 'COUNT', 500);
      cursor = String(next);
      for (const raw of keys) {
        const key = raw.toString('latin1');
        const type = await redis.type(raw);
        let value: unknown;
        switch (type) {
          case 'string':
            value = (await redis.getBuffer(raw))?.toString('latin1');
            break;
          case 'hash':
            value = await redis.hgetallBuffer(raw);
            value = Object.entries(value as Record<string, Buffer>).map(([f, v]) => [f, v.toString('latin1')]);
            break;
          case 'list':
            value = (await redis.lrangeBuffer(raw, 0, -1)).map((b) => b.toString('latin1'));
            break;
          case 'set':
            value = (await redis.smembersBuffer(raw)).map((b) => b.toString('latin1'));
            break;
          case 'zset':
            value = (await redis.zrangeBuffer(raw, '0', '-1', 'WITHSCORES')).map((b) => b.toString('latin1'));
            break;
          case 'stream':
            value = await redis.xrange(key, '-', '+');
            break;
          default:
            value = `<${type}>`;
        }
        out.push(`${key} (${type}) ${JSON.stringify(value)}`);
      }
    } while (cursor !== '0');
    return out.join('\n');
  } finally {
    redis.disconnect();
  }
}

describe('a planted secret reaches its destination and nothing else', () => {
  let sink: WebhookSink;
  let fake: VendorFake;
  let smtp: SmtpSink;
  let stack: Stack;
  const healthPorts = new Map<Service, number>();

  beforeAll(async () => {
    const cert = selfSignedCert();
    sink = await startWebhookSink();
    // the failing hook is refused for good (a 400 is permanent): dead-lettered
    sink.respondWith((req) => (req.path.startsWith('/fail/') ? { status: 400, body: '{"error":"bad request"}' } : undefined));
    fake = await startVendorFake({
      wecom: { apps: [{ corpId: WECOM.corpId, secret: SECRET.wecom }], users: ['alice'] },
      dingtalk: { robots: { [SECRET.robotToken]: { secret: SECRET.robotSign, keywords: [] } }, robotRateLimit: false },
    });
    // the first robot post loses its connection (retried); the first app message says the token expired (refreshed)
    fake.script({ route: 'dingtalk.robot', reset: true, times: 1 });
    fake.script({ route: 'wecom.send', error: 42001, errmsg: 'access_token expired', times: 1 });
    smtp = await startSmtpSink(cert, SMTP_USER, SECRET.smtp);
    for (const s of ALL) if (s !== 'ingest') healthPorts.set(s, await freePort());

    const manifests = docs(
      {
        apiVersion: API,
        kind: 'NotificationManager',
        metadata: { name: 'notification-manager' },
        spec: {
          defaultSecretNamespace: SECRET_NS,
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
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'planted', namespace: SECRET_NS },
        stringData: {
          bearer: SECRET.bearer,
          smtpPassword: SECRET.smtp,
          smtpCA: cert.cert,
          robotWebhook: fake.dingtalkRobotUrl(SECRET.robotToken),
          robotSecret: SECRET.robotSign,
          wecomSecret: SECRET.wecom,
        },
      },
      {
        apiVersion: API,
        kind: 'Config',
        metadata: { name: 'default-channels', labels: { type: 'default' } },
        spec: {
          email: {
            from: 'nm@example.com',
            smartHost: { host: '127.0.0.1', port: smtp.port },
            authUsername: SMTP_USER,
            authPassword: secretRef('smtpPassword'),
            requireTLS: true,
            tls: { rootCA: secretRef('smtpCA'), serverName: 'localhost' },
          },
          wechat: {
            wechatApiUrl: fake.urls.wecomApi,
            wechatApiCorpId: WECOM.corpId,
            wechatApiAgentId: WECOM.agentId,
            wechatApiSecret: secretRef('wecomSecret'),
          },
        },
      },
      {
        apiVersion: API,
        kind: 'Receiver',
        metadata: { name: 'secure-hook', labels: { type: 'tenant', namespace: 'team-a' } },
        spec: {
          webhook: {
            url: `${sink.url}/ok?apikey=${SECRET.urlQuery}`,
            headers: { 'X-Api-Key': SECRET.header },
            httpConfig: { bearerToken: secretRef('bearer') },
          },
        },
      },
      {
        apiVersion: API,
        kind: 'Receiver',
        metadata: { name: 'failing-hook', labels: { type: 'tenant', namespace: 'team-a' } },
        spec: {
          webhook: {
            url: `${sink.url}/fail/${SECRET.failPath}?token=${SECRET.failQuery}`,
            httpConfig: { bearerToken: secretRef('bearer') },
          },
        },
      },
      {
        apiVersion: API,
        kind: 'Receiver',
        metadata: { name: 'chat', labels: { type: 'tenant', namespace: 'team-a' } },
        spec: {
          email: { to: ['oncall@example.com'] },
          wechat: { toUser: ['alice'] },
          dingtalk: { chatbot: { webhook: secretRef('robotWebhook'), secret: secretRef('robotSecret') } },
        },
      },
    );
    stack = await startStack({
      manifests: { 'secrets.yaml': manifests },
      services: ALL,
      commonEnv: { LOG_LEVEL: 'debug' },
      readyTimeoutMs: 150_000,
      env: {
        ...Object.fromEntries([...healthPorts].map(([s, port]) => [s, { NM_HEALTH_PORT: String(port) }])),
        'sender-dingtalk': { NM_HEALTH_PORT: String(healthPorts.get('sender-dingtalk')), NM_DINGTALK_API_URL: fake.urls.dingtalkApi },
      },
    });
  }, 200_000);

  afterAll(async () => {
    await stack?.stop();
    await sink?.close();
    await fake?.close();
    await smtp?.close();
  });

  it('delivers with every planted credential, and no log, history record, dead letter, metric or Redis key holds one', async () => {
    const res = await stack.postAlerts([{ labels: { alertname: ALERTNAME, namespace: 'team-a', severity: 'critical' }, annotations: { message: 'planted secrets' } }]);
    expect(res.status).toBe(200);

    const dlqItems = async (): Promise<Array<{ seq: number; stage: string }>> =>
      ((await (await fetch(`${stack.ingestUrl}/api/v2/dlq`)).json()) as { items: Array<{ seq: number; stage: string }> }).items;
    const progress = async (): Promise<Record<string, boolean>> => ({
      webhook: sink.accepted().filter((r) => r.path.startsWith('/ok')).length >= 1,
      email: smtp.received.length >= 1,
      dingtalk: fake.requestsTo('dingtalk.robot').some((r) => !('reset' in r.response) && r.response.status === 200),
      wecomRefreshed: fake.requestsTo('wecom.send').length >= 2,
      deadLettered: (await dlqItems()).some((i) => i.stage === 'sender-webhook'),
    });
    await waitFor('every destination reached and the failing hook dead-lettered', async () => Object.values(await progress()).every(Boolean), 90_000).catch(
      async (err: Error) => {
        const dump = ALL.map((s) => `--- ${s}\n${stack.logs(s).slice(-1500)}`).join('\n');
        throw new Error(`${err.message}: ${JSON.stringify(await progress())} ${JSON.stringify(await dlqItems())}\n${dump}`);
      },
    );
    await new Promise((r) => setTimeout(r, 1500)); // history records and retries settle

    // --- the destinations did receive the secrets (so the checks below could fail)
    const ok = sink.accepted().filter((r) => r.path.startsWith('/ok'))[0]!;
    expect(ok.headers.authorization).toBe(`Bearer ${SECRET.bearer}`);
    expect(ok.headers['x-api-key']).toBe(SECRET.header);
    const failed = sink.requests.filter((r) => r.path.startsWith('/fail/'));
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0]!.path).toContain(SECRET.failPath);
    expect(failed[0]!.headers.authorization).toBe(`Bearer ${SECRET.bearer}`);
    expect(smtp.logins.some((l) => l.password === SECRET.smtp && l.secure)).toBe(true);
    const robot = fake.requestsTo('dingtalk.robot');
    expect(robot.length).toBeGreaterThanOrEqual(2);
    expect(robot.every((r) => r.query.access_token === SECRET.robotToken)).toBe(true);
    const tokenFetches = fake.requestsTo('wecom.gettoken');
    expect(tokenFetches.length).toBeGreaterThanOrEqual(2); // the expired one was refreshed
    expect(tokenFetches.every((r) => r.query.corpsecret === SECRET.wecom)).toBe(true);
    const issued = tokenFetches
      .map((r: RecordedRequest) => ('reset' in r.response ? undefined : (r.response.body as { access_token?: string } | undefined)?.access_token))
      .filter((t): t is string => typeof t === 'string' && t.length > 0);
    expect(issued.length).toBeGreaterThanOrEqual(2);

    const needles = [PLANT, ...issued];
    const leaks = (where: string, text: string): string[] =>
      needles.filter((n) => text.includes(n)).map((n) => `${where}: …${text.slice(Math.max(0, text.indexOf(n) - 160), text.indexOf(n) + 60)}…`);
    const found: string[] = [];

    // --- logs of every process (debug level)
    for (const s of ALL) {
      const log = stack.logs(s);
      expect([s, log.length > 0]).toEqual([s, true]);
      found.push(...leaks(`log of ${s}`, log));
    }
    // the failing send was logged (so its error message was looked at)
    expect(stack.logs('sender-webhook')).toMatch(/400/);

    // --- history of the tenant: every receiver has a record, the failed one included
    const history = (await (await fetch(`${stack.ingestUrl}/api/v2/history?tenant=team-a`)).json()) as { items: Array<{ receiver: string; result: string }> };
    expect(history.items.map((i) => i.receiver)).toEqual(expect.arrayContaining(['secure-hook', 'failing-hook', 'chat']));
    expect(history.items.some((i) => i.receiver === 'failing-hook' && i.result === 'failed')).toBe(true);
    found.push(...leaks('history', JSON.stringify(history)));

    // --- dead letters: the list and every entry with its payload
    const items = await dlqItems();
    expect(items.length).toBeGreaterThanOrEqual(1);
    found.push(...leaks('dlq list', JSON.stringify(items)));
    for (const i of items) found.push(...leaks(`dlq ${i.seq}`, await (await fetch(`${stack.ingestUrl}/api/v2/dlq/${i.seq}`)).text()));

    // --- /metrics of every service
    for (const s of ALL) {
      const port = s === 'ingest' ? Number(new URL(stack.ingestUrl).port) : healthPorts.get(s)!;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect([s, text.includes('# TYPE')]).toEqual([s, true]);
      found.push(...leaks(`/metrics of ${s}`, text));
    }

    // --- every Redis key and value (config mirror, token cache, rate windows, aggregation state, …)
    const dump = await dumpRedis(stack.redis.url);
    expect(dump).toContain('nm:config:objects');
    expect(dump).toContain('nm:token:');
    found.push(...leaks('redis', dump));

    expect(found).toEqual([]);
  }, 180_000);
});
