import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Alert } from '@nm/contracts';
import { startVendorFake, type VendorFake } from '@nm/testing/vendor-fake';
import { PartialFailureError, PermanentError, RetryableError } from '@nm/errors';
import { failureOf } from './delivery.runner.js';
import { feishuSign } from './feishu.post.js';
import { FeishuSender, type FeishuTarget } from './feishu.sender.js';
import { utf8Length } from './message.splitter.js';
import { RecordingClock, RecordingLimiter, alertMessage, alerts, textMessage } from './test-support/fixtures.js';

const post = (lines: string[]): string =>
  JSON.stringify({ zh_cn: { title: '告警通知', content: lines.map((text) => [{ tag: 'text', text }]) } });
const renderPost = (list: readonly Alert[]) => ({ body: post(list.map((a) => `${a.labels.alertname}: ${a.annotations.summary}`)) });

describe('FeishuSender', () => {
  let fake: VendorFake;
  let clock: RecordingClock;
  let sender: FeishuSender;
  const secret = 'feishu-bot-secret';
  let bot: (over?: Partial<NonNullable<FeishuTarget['chatbot']>>) => FeishuTarget;
  const app = (users: string[] = ['ou_1'], departments: string[] = []): FeishuTarget => ({
    app: { appId: 'cli_app', appSecret: 'app-secret', users, departments },
  });
  const users = Array.from({ length: 250 }, (_, i) => `ou_${i}`);

  beforeAll(async () => {
    fake = await startVendorFake({
      feishu: {
        bots: { 'hook-1': { secret, keywords: ['alert'] }, 'hook-2': {} },
        apps: [{ appId: 'cli_app', appSecret: 'app-secret' }],
        users,
        departments: ['od_1'],
      },
    });
    bot = (over = {}) => ({ chatbot: { webhookUrl: fake.feishuBotUrl('hook-1'), secret, keywords: ['alert'], ...over } });
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = new RecordingClock();
    sender = new FeishuSender({ apiUrl: fake.urls.feishuApi, clock, rateLimiter: new RecordingLimiter() });
  });

  it('signs bot posts (s timestamp, Feishu HMAC) and adds the keyword paragraph to every locale', async () => {
    const before = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      zh_cn: { title: '告警', content: [[{ tag: 'text', text: '节点异常' }]] },
      en_us: { title: 'Alert', content: [[{ tag: 'text', text: 'node down' }]] },
    });
    const res = await sender.send(bot(), textMessage(body));
    const [req] = fake.requestsTo('feishu.bot');
    expect(req!.response).toMatchObject({ status: 200, body: { code: 0 } });
    const sent = req!.body as { timestamp: string; sign: string };
    expect(Number(sent.timestamp)).toBeGreaterThanOrEqual(before);
    expect(sent.sign).toBe(feishuSign(Number(sent.timestamp), secret));
    expect(req!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(req!.body).toEqual({
      timestamp: sent.timestamp,
      sign: sent.sign,
      msg_type: 'post',
      content: {
        post: {
          zh_cn: { title: '告警', content: [[{ tag: 'text', text: '节点异常' }], [{ tag: 'text', text: '[Keywords] alert' }]] },
          en_us: { title: 'Alert', content: [[{ tag: 'text', text: 'node down' }], [{ tag: 'text', text: '[Keywords] alert' }]] },
        },
      },
    });
    expect(res.outcomes[0]!.destination).toBe(`${fake.url}/feishu/open-apis/bot/v2/hook/***`);
    expect(JSON.stringify(res)).not.toContain('hook-1');
  });

  it('sends text with keywords after a blank line', async () => {
    await sender.send({ ...bot({ keywords: ['alert', 'k8s'] }), format: 'text' }, textMessage('disk full'));
    expect(fake.requestsTo('feishu.bot')[0]!.body).toMatchObject({ msg_type: 'text', content: { text: 'disk full\n\n[Keywords] alert,k8s' } });
  });

  it('is rejected with 19021 when the secret is wrong (permanent)', async () => {
    const res = await sender.send(bot({ secret: 'wrong' }), textMessage(post(['alert'])));
    expect(res.outcomes[0]!.error).toBeInstanceOf(PermanentError);
    expect(res.outcomes[0]!.error!.code).toBe('feishu:19021');
  });

  it('retries 9499 / 11232 with backoff, then hands them back as retryable', async () => {
    fake.script({ route: 'feishu.bot', error: 9499, times: 2 });
    const ok = await sender.send(bot(), textMessage(post(['alert'])));
    expect(ok.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(clock.sleeps).toEqual([1000, 2000]);
    fake.script({ route: 'feishu.bot', error: 11232, times: 3 });
    const limited = await sender.send(bot(), textMessage(post(['alert'])));
    expect(failureOf(limited)).toBeInstanceOf(RetryableError);
    expect(limited.outcomes[0]!.attempts).toBe(3);
  });

  it('refuses a post template that is not JSON, without calling Feishu', async () => {
    const res = await sender.send(bot(), textMessage('not json'));
    expect(res.outcomes[0]!.error!.code).toBe('feishu:invalid-post');
    expect(fake.requestsTo('feishu.bot')).toHaveLength(0);
  });

  it('splits posts by alerts and truncates an oversize one into valid, marked JSON', async () => {
    const small = new FeishuSender({ apiUrl: fake.urls.feishuApi, clock, rateLimiter: new RecordingLimiter(), maxBytes: 700 });
    const list = alerts(12, (i) => (i === 4 ? '非常长的告警描述'.repeat(100) : `alert ${i} 节点内存不足`));
    const res = await small.send(bot(), alertMessage(list, renderPost));
    expect(res.status).toBe('delivered');
    const reqs = fake.requestsTo('feishu.bot');
    expect(reqs.length).toBeGreaterThan(2);
    expect(res.outcomes.flatMap((o) => o.alertIds)).toEqual(list.map((a) => a.id));
    const cut = reqs[res.outcomes.findIndex((o) => o.alertIds.includes('a4'))]!;
    const text = JSON.stringify((cut.body as { content: unknown }).content);
    expect(text).toMatch(/truncated \d+ bytes/);
    for (const r of reqs) expect(utf8Length(JSON.stringify((r.body as { content: { post: unknown } }).content.post))).toBeLessThanOrEqual(700 + 64);
  });

  it('uses the target timeoutMs (options.feishu.notificationTimeout) for bot and app requests', async () => {
    const once = new FeishuSender({ apiUrl: fake.urls.feishuApi, clock, rateLimiter: new RecordingLimiter(), retry: { attempts: 1 } });
    fake.script({ route: 'feishu.bot', delayMs: 1500 });
    const started = Date.now();
    const slowBot = await once.send({ ...bot(), format: 'text', timeoutMs: 100 }, textMessage('x'));
    expect(Date.now() - started).toBeLessThan(1000) // the answer takes 1.5 s; the timeout is 100–150 ms;
    expect(slowBot.outcomes[0]!.error).toBeInstanceOf(RetryableError);
    expect(slowBot.outcomes[0]!.error!.code).toMatch(/^feishu:network-/);

    fake.script({ route: 'feishu.token', delayMs: 1500 });
    const slowApp = await once.send({ ...app(), format: 'text', timeoutMs: 100 }, textMessage('x'));
    expect(slowApp.outcomes[0]!.error).toBeInstanceOf(RetryableError);
  });

  it('sends app messages with a cached tenant token to users and departments', async () => {
    const results = await Promise.all([
      sender.send(app(['ou_1', 'ou_2'], ['od_1']), textMessage(post(['hello']))),
      sender.send({ ...app(), format: 'text' }, textMessage('plain')),
    ]);
    const tokens = fake.requestsTo('feishu.token');
    expect(tokens).toHaveLength(1);
    expect(tokens[0]!.body).toEqual({ app_id: 'cli_app', app_secret: 'app-secret' });
    const batch = fake.requestsTo('feishu.batch');
    for (const r of batch) expect(r.headers.authorization).toMatch(/^Bearer t-feishu-/);
    expect(batch.map((r) => r.body)).toContainEqual({
      msg_type: 'post',
      content: { post: JSON.parse(post(['hello'])) as unknown },
      user_ids: ['ou_1', 'ou_2'],
      department_ids: ['od_1'],
    });
    expect(batch.map((r) => r.body)).toContainEqual({ msg_type: 'text', content: { text: 'plain' }, user_ids: ['ou_1'] });
    expect(results[0].outcomes[0]!.upstreamMessageId).toMatch(/^bm-/);
    expect(JSON.stringify(results)).not.toMatch(/t-feishu-|app-secret/);
  });

  it('refreshes an expired tenant token once (errors arrive as HTTP 400 with a JSON body)', async () => {
    await sender.send(app(), textMessage(post(['warm'])));
    fake.expireTokens('feishu');
    const res = await sender.send(app(), textMessage(post(['x'])));
    expect(res.status).toBe('delivered');
    expect(fake.requestsTo('feishu.token')).toHaveLength(2);
    expect(fake.requestsTo('feishu.batch')[1]!.response).toMatchObject({ status: 400, body: { code: 99991677 } });
  });

  it('reports invalid user and department ids, and batches 200 users per request', async () => {
    const res = await sender.send(app([...users, 'ou_ghost'], ['od_1', 'od_gone']), textMessage(post(['x'])));
    const batch = fake.requestsTo('feishu.batch').map((r) => r.body as { user_ids?: string[]; department_ids?: string[] });
    expect(batch.map((b) => b.user_ids?.length)).toEqual([200, 51]);
    expect(batch[0]!.department_ids).toEqual(['od_1', 'od_gone']);
    const partial = res.outcomes.filter((o) => o.status === 'partial').flatMap((o) => o.invalid);
    expect(partial.sort()).toEqual(['department:od_gone', 'user:ou_ghost']);
    expect(failureOf(res)).toBeInstanceOf(PartialFailureError);
  });

  it('rejects a wrong app secret permanently', async () => {
    const res = await sender.send({ app: { appId: 'cli_app', appSecret: 'nope', users: ['ou_1'] } }, textMessage(post(['x'])));
    expect(res.outcomes[0]!.error).toBeInstanceOf(PermanentError);
    expect(res.outcomes[0]!.error!.code).toBe('feishu:10014');
  });
});
