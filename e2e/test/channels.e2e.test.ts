import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@nm/testing';
import { startVendorFake, type RecordedRequest, type VendorFake } from '@nm/testing/vendor-fake';
import { SMTPServer } from 'smtp-server';
import { CHANNEL_SENDERS, SERVICES, startStack, type Stack } from './support/stack.js';

/** The part of mailparser (which ships no types) this test reads. */
interface ParsedMail {
  subject?: string;
  html?: string | false;
  from?: { text: string };
}
const { simpleParser } = createRequire(import.meta.url)('mailparser') as { simpleParser: (source: Buffer) => Promise<ParsedMail> };

interface ReceivedMail {
  envelopeTo: string[];
  secure: boolean;
  user: unknown;
  mail: ParsedMail;
}

/** `openssl req -x509` for CN=localhost, valid one day. */
function selfSignedCert(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nm-e2e-cert-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A real SMTP server offering STARTTLS and PLAIN/LOGIN for one user; keeps the parsed messages. */
async function startSmtpSink(tls: { cert: string; key: string }, user: string, password: string): Promise<{ port: number; received: ReceivedMail[]; close(): Promise<void> }> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    secure: false,
    key: tls.key,
    cert: tls.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username !== user || auth.password !== password) return callback(new Error('Invalid username or password'));
      return callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () => {
        simpleParser(Buffer.concat(parts))
          .then((mail) => {
            received.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), secure: session.secure, user: session.user, mail });
            callback(null, 'queued');
          })
          .catch((e: unknown) => callback(e instanceof Error ? e : new Error(String(e))));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const API = 'notification.kubesphere.io/v2beta2';
const SECRET_NS = 'nm-system';
/** Manifests as JSON documents (JSON is YAML). */
const docs = (...objects: object[]): string => objects.map((o) => JSON.stringify(o, null, 2)).join('\n---\n');
const secretRef = (name: string, key: string): object => ({ valueFrom: { secretKeyRef: { name, key } } });

const SLACK_TOKEN = 'xoxb-e2e-token';
const SLACK_HOOK = 'T0001/B0001/e2e-hook';
const WECOM = { corpId: 'corp-e2e', agentId: '1000002', secret: 'wecom-app-secret' };
const DINGTALK = { token: 'dt-robot-token', secret: 'SECdingtalk-e2e', keyword: 'nm-alert' };
const FEISHU = { hook: 'fs-hook-e2e', secret: 'feishu-sign-secret', keyword: 'nm-alert' };
const SMTP_USER = 'alert@example.com';
const SMTP_PASSWORD = 'smtp-pa55';

const bodyOf = (r: RecordedRequest): Record<string, unknown> => (r.body ?? {}) as Record<string, unknown>;
const responseOf = (r: RecordedRequest): Record<string, unknown> => ('reset' in r.response ? {} : ((r.response.body ?? {}) as Record<string, unknown>));

describe('channel senders deliver through their own processes', () => {
  let fake: VendorFake;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let stack: Stack;
  let cert: { cert: string; key: string };

  beforeAll(async () => {
    cert = selfSignedCert();
    [fake, smtp] = await Promise.all([
      startVendorFake({
        slack: { tokens: [SLACK_TOKEN], channels: ['#ops', '#load'], webhooks: [SLACK_HOOK] },
        wecom: { apps: [{ corpId: WECOM.corpId, secret: WECOM.secret }], users: ['alice'] },
        dingtalk: { robots: { [DINGTALK.token]: { secret: DINGTALK.secret, keywords: [DINGTALK.keyword] } }, robotRateLimit: false },
        feishu: { bots: { [FEISHU.hook]: { secret: FEISHU.secret, keywords: [FEISHU.keyword] } } },
      }),
      startSmtpSink(cert, SMTP_USER, SMTP_PASSWORD),
    ]);
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
        metadata: { name: 'channel-credentials', namespace: SECRET_NS },
        stringData: {
          smtpPassword: SMTP_PASSWORD,
          smtpCA: cert.cert,
          slackToken: SLACK_TOKEN,
          slackWebhook: fake.slackWebhookUrl(SLACK_HOOK),
          wecomSecret: WECOM.secret,
          dingtalkWebhook: fake.dingtalkRobotUrl(DINGTALK.token),
          dingtalkSecret: DINGTALK.secret,
          feishuWebhook: fake.feishuBotUrl(FEISHU.hook),
          feishuSecret: FEISHU.secret,
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
            authPassword: secretRef('channel-credentials', 'smtpPassword'),
            requireTLS: true,
            tls: { rootCA: secretRef('channel-credentials', 'smtpCA'), serverName: 'localhost' },
          },
          slack: { slackTokenSecret: secretRef('channel-credentials', 'slackToken') },
          wechat: {
            wechatApiUrl: fake.urls.wecomApi,
            wechatApiCorpId: WECOM.corpId,
            wechatApiAgentId: WECOM.agentId,
            wechatApiSecret: secretRef('channel-credentials', 'wecomSecret'),
          },
        },
      },
      {
        apiVersion: API,
        kind: 'Receiver',
        metadata: { name: 'all-channels', labels: { type: 'tenant', namespace: 'team-a' } },
        spec: {
          email: { to: ['oncall@example.com'] },
          slack: { channels: ['#ops'], webhook: secretRef('channel-credentials', 'slackWebhook') },
          wechat: { toUser: ['alice'] },
          dingtalk: {
            chatbot: {
              webhook: secretRef('channel-credentials', 'dingtalkWebhook'),
              secret: secretRef('channel-credentials', 'dingtalkSecret'),
              keywords: [DINGTALK.keyword],
            },
          },
          feishu: {
            chatbot: {
              webhook: secretRef('channel-credentials', 'feishuWebhook'),
              secret: secretRef('channel-credentials', 'feishuSecret'),
              keywords: [FEISHU.keyword],
            },
          },
        },
      },
      {
        apiVersion: API,
        kind: 'Receiver',
        metadata: { name: 'load', labels: { type: 'tenant', namespace: 'team-b' } },
        spec: { slack: { channels: ['#load'] } },
      },
    );
    stack = await startStack({
      manifests: { 'channels.yaml': manifests },
      services: [...SERVICES, ...CHANNEL_SENDERS],
      replicas: { 'sender-slack': 2 },
      env: {
        // debug: each replica logs every notification it handled, so the test can tell them apart
        'sender-slack': { NM_SLACK_API_URL: fake.urls.slackApi, LOG_LEVEL: 'debug', NM_SENDER_CONCURRENCY: '4' },
        'sender-dingtalk': { NM_DINGTALK_API_URL: fake.urls.dingtalkApi },
        'sender-feishu': { NM_FEISHU_API_URL: fake.urls.feishuApi },
      },
      // a start that fails reports the services' logs before the hook times out
      readyTimeoutMs: 120_000,
    });
  }, 150_000);

  afterAll(async () => {
    await stack?.stop();
    await fake?.close();
    await smtp?.close();
  });

  it('delivers one alert to email, slack, wechat, dingtalk and feishu, once each, with verified credentials', async () => {
    const alertname = 'ChannelsE2EDiskFull';
    const res = await stack.postAlerts([{ labels: { alertname, namespace: 'team-a', severity: 'critical' }, annotations: { message: 'disk sda1 is full' } }]);
    expect(res.status).toBe(200);

    const postMessages = (): RecordedRequest[] => fake.requestsTo('slack.postMessage').filter((r) => bodyOf(r).channel === '#ops');
    await waitFor(
      'every channel delivered',
      () =>
        smtp.received.length >= 1 &&
        postMessages().length >= 1 &&
        fake.requestsTo('slack.webhook').length >= 1 &&
        fake.requestsTo('wecom.send').length >= 1 &&
        fake.requestsTo('dingtalk.robot').length >= 1 &&
        fake.requestsTo('feishu.bot').length >= 1,
      30_000,
    ).catch((err: Error) => {
      const dump = CHANNEL_SENDERS.map((s) => `--- ${s}\n${stack.logs(s).slice(-1500)}`).join('\n');
      throw new Error(`${err.message}\n${dump}`);
    });
    // nothing more arrives after a further flush window
    await new Promise((r) => setTimeout(r, 1000));

    // email: one STARTTLS session, authenticated, to the receiver's address
    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail!.envelopeTo).toEqual(['oncall@example.com']);
    expect(mail!.secure).toBe(true);
    expect(mail!.user).toBe(SMTP_USER);
    expect(mail!.mail.from?.text).toBe('nm@example.com');
    expect(mail!.mail.subject).toBe('[FIRING] disk sda1 is full');
    expect(mail!.mail.html).toContain(alertname);

    // slack: chat.postMessage with the Config's token, and the incoming webhook
    const [post] = postMessages();
    expect(postMessages()).toHaveLength(1);
    expect(post!.headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);
    expect(bodyOf(post!).text).toEqual(expect.stringContaining(alertname));
    expect(responseOf(post!).ok).toBe(true);
    const hooks = fake.requestsTo('slack.webhook');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.path).toBe(`/slack/services/${SLACK_HOOK}`);
    expect(bodyOf(hooks[0]!).text).toEqual(expect.stringContaining(alertname));
    expect(hooks[0]!.response).toEqual({ status: 200, body: 'ok' });

    // wechat: one token fetch with the Config's corp id and secret, one app message to alice
    expect(fake.requestsTo('wecom.gettoken').map((r) => r.query)).toEqual([{ corpid: WECOM.corpId, corpsecret: WECOM.secret }]);
    const sends = fake.requestsTo('wecom.send');
    expect(sends).toHaveLength(1);
    expect(bodyOf(sends[0]!)).toMatchObject({ touser: 'alice', agentid: WECOM.agentId, msgtype: 'text' });
    expect((bodyOf(sends[0]!).text as { content: string }).content).toContain(alertname);
    expect(responseOf(sends[0]!)).toMatchObject({ errcode: 0 });

    // dingtalk: signed robot post with the keyword; errcode 0 means the fake checked the signature
    const robots = fake.requestsTo('dingtalk.robot');
    expect(robots).toHaveLength(1);
    expect(robots[0]!.query).toEqual({ access_token: DINGTALK.token, timestamp: expect.stringMatching(/^\d{13}$/), sign: expect.any(String) });
    const dtText = (bodyOf(robots[0]!).text as { content: string }).content;
    expect(dtText).toContain(alertname);
    expect(dtText).toContain(DINGTALK.keyword);
    expect(responseOf(robots[0]!)).toEqual({ errcode: 0, errmsg: 'ok' });

    // feishu: signed bot post (seconds timestamp); code 0 means signature and keyword passed
    const bots = fake.requestsTo('feishu.bot');
    expect(bots).toHaveLength(1);
    expect(bodyOf(bots[0]!)).toMatchObject({ msg_type: 'post', timestamp: expect.stringMatching(/^\d{10}$/), sign: expect.any(String) });
    expect(JSON.stringify(bodyOf(bots[0]!).content)).toContain(alertname);
    expect(responseOf(bots[0]!)).toMatchObject({ code: 0 });
  });

  it('shares one queue between two sender-slack replicas without duplicates', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `LoadAlert${String(i).padStart(2, '0')}`);
    const res = await stack.postAlerts(names.map((alertname) => ({ labels: { alertname, namespace: 'team-b' }, annotations: { message: `load ${alertname}` } })));
    expect(res.status).toBe(200);

    const loads = (): RecordedRequest[] => fake.requestsTo('slack.postMessage').filter((r) => bodyOf(r).channel === '#load');
    await waitFor('30 slack deliveries', () => loads().length >= names.length, 30_000);
    await new Promise((r) => setTimeout(r, 1000));

    const texts = loads().map((r) => String(bodyOf(r).text));
    expect(texts).toHaveLength(names.length);
    // one message per group, each naming its own alert: every alert exactly once
    expect(texts.flatMap((t) => names.filter((n) => t.includes(n))).sort()).toEqual(names);
    expect(loads().every((r) => responseOf(r).ok === true)).toBe(true);

    // which replica delivered which notification, from each replica's own log
    const deliveredBy = (replica: number): string[] =>
      stack
        .logs('sender-slack', replica)
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg?: string; result?: string; receiver?: string; notification?: string })
        .filter((l) => l.msg === 'notification handled' && l.result === 'delivered' && l.receiver === 'load')
        .map((l) => l.notification!);
    const first = deliveredBy(0);
    const second = deliveredBy(1);
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    expect(first.length + second.length).toBe(names.length);
    expect(new Set([...first, ...second]).size).toBe(names.length);
  });
});
