import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startVendorFake, type VendorFake } from '@nm/testing/vendor-fake';
import { PartialFailureError, PermanentError, RetryableError } from '@nm/errors';
import { failureOf } from './delivery.runner.js';
import { utf8Length } from './message.splitter.js';
import { RedisTokenCache } from './token.cache.js';
import { RecordingClock, alertMessage, alerts, textMessage } from './test-support/fixtures.js';
import { startRedisSocket, type PrivateRedisSocket } from './test-support/redis.server.js';
import { WechatSender, type WechatTarget } from './wechat.sender.js';

describe('WechatSender', () => {
  let fake: VendorFake;
  let clock: RecordingClock;
  let sender: WechatSender;
  const users = ['alice', 'bob', ...Array.from({ length: 1500 }, (_, i) => `u${i}`)];
  const parties = Array.from({ length: 150 }, (_, i) => String(i + 1));
  let config: { apiUrl: string; corpId: string; agentId: string; secret: string };
  const app = (extra: Partial<NonNullable<WechatTarget['app']>> = {}): WechatTarget => ({ app: { config, toUser: ['alice', 'bob'], ...extra } });

  beforeAll(async () => {
    fake = await startVendorFake({
      wecom: { apps: [{ corpId: 'ww-corp', secret: 'app-secret' }], users, parties, tags: ['t1'], tokenTtlSec: 3600, botKeys: ['bot-key'] },
    });
    config = { apiUrl: fake.urls.wecomApi, corpId: 'ww-corp', agentId: '1000002', secret: 'app-secret' };
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = new RecordingClock();
    sender = new WechatSender({ clock });
  });

  it('fetches a token and sends an app text message exactly as WeCom expects', async () => {
    const res = await sender.send(app({ toParty: ['2'], toTag: ['t1'] }), textMessage('CPU high on node-1'));
    const [tok] = fake.requestsTo('wecom.gettoken');
    expect(tok!.query).toEqual({ corpid: 'ww-corp', corpsecret: 'app-secret' });
    const [send] = fake.requestsTo('wecom.send');
    expect(send!.query.access_token).toMatch(/^wecom-/);
    expect(send!.body).toEqual({
      touser: 'alice|bob',
      toparty: '2',
      totag: 't1',
      msgtype: 'text',
      agentid: '1000002',
      text: { content: 'CPU high on node-1' },
      safe: '0',
    });
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', destination: 'user:alice|bob party:2 tag:t1' });
    expect(res.outcomes[0]!.upstreamMessageId).toMatch(/^msg-/);
    const text = JSON.stringify(res);
    expect(text).not.toContain('app-secret');
    expect(text).not.toContain(send!.query.access_token!);
  });

  it('sends markdown with msgtype markdown', async () => {
    await sender.send({ ...app(), format: 'markdown' }, textMessage('**firing** `KubeNodeNotReady`'));
    const [send] = fake.requestsTo('wecom.send');
    expect(send!.body).toMatchObject({ msgtype: 'markdown', markdown: { content: '**firing** `KubeNodeNotReady`' } });
    expect((send!.body as Record<string, unknown>).text).toBeUndefined();
  });

  it('splits at 2048 bytes of multi-byte text and keeps an oversize alert, truncated', async () => {
    const list = alerts(40, (i) => (i === 7 ? '超长的告警描述'.repeat(200) : `节点磁盘压力告警，请尽快处理 ${i}`));
    const res = await sender.send(app(), alertMessage(list));
    const contents = fake.requestsTo('wecom.send').map((r) => (r.body as { text: { content: string } }).text.content);
    expect(contents.length).toBeGreaterThan(2);
    for (const c of contents) expect(utf8Length(c)).toBeLessThanOrEqual(2048);
    expect(res.status).toBe('delivered');
    expect(res.outcomes.flatMap((o) => o.alertIds)).toEqual(list.map((a) => a.id));
    expect(contents.some((c) => /…\[truncated \d+ bytes\]$/.test(c))).toBe(true);
    expect(res.outcomes.find((o) => o.alertIds.includes('a7'))!.truncatedBytes).toBeGreaterThan(0);
  });

  it('honours messageMaxSize from the Config', async () => {
    await sender.send(app({ maxBytes: 100 }), alertMessage(alerts(10)));
    for (const r of fake.requestsTo('wecom.send')) expect(utf8Length((r.body as { text: { content: string } }).text.content)).toBeLessThanOrEqual(100);
    expect(fake.requestsTo('wecom.send').length).toBeGreaterThan(1);
  });

  it('batches recipients 1000 users / 100 parties / 100 tags per request', async () => {
    await sender.send(app({ toUser: users, toParty: parties }), textMessage('x'));
    const bodies = fake.requestsTo('wecom.send').map((r) => r.body as { touser: string; toparty: string });
    expect(bodies).toHaveLength(2);
    const [first, second] = [...bodies].sort((a, b) => b.touser.split('|').length - a.touser.split('|').length);
    expect(first!.touser.split('|')).toHaveLength(1000);
    expect(first!.toparty.split('|')).toHaveLength(100);
    expect(second!.touser.split('|')).toHaveLength(502);
    expect(second!.toparty.split('|')).toHaveLength(50);
  });

  it('calls gettoken once for concurrent sends, and again only after the TTL', async () => {
    await Promise.all(Array.from({ length: 8 }, () => sender.send(app(), textMessage('x'))));
    expect(fake.requestsTo('wecom.gettoken')).toHaveLength(1);
    expect(fake.requestsTo('wecom.send')).toHaveLength(8);
    clock.offsetMs += 3299_000; // expires_in 3600 minus the 300 s margin
    await sender.send(app(), textMessage('x'));
    expect(fake.requestsTo('wecom.gettoken')).toHaveLength(1);
    clock.offsetMs += 2000;
    await sender.send(app(), textMessage('x'));
    expect(fake.requestsTo('wecom.gettoken')).toHaveLength(2);
  });

  it('refreshes the token once on 42001 / 40014, then gives up as retryable', async () => {
    await sender.send(app(), textMessage('warm'));
    fake.expireTokens('wecom');
    const res = await sender.send(app(), textMessage('after expiry'));
    expect(res.status).toBe('delivered');
    expect(fake.requestsTo('wecom.gettoken')).toHaveLength(2);
    expect(fake.requestsTo('wecom.send').map((r) => (r.response as { body: { errcode: number } }).body.errcode)).toEqual([0, 42001, 0]);

    fake.script({ route: 'wecom.send', error: 40014 });
    expect((await sender.send(app(), textMessage('x'))).status).toBe('delivered');
    expect(fake.requestsTo('wecom.gettoken')).toHaveLength(3);

    const once = new WechatSender({ clock, retry: { attempts: 1 } });
    fake.script({ route: 'wecom.send', error: 42001, times: 4 });
    const stuck = await once.send(app(), textMessage('x'));
    expect(stuck.outcomes[0]!.error).toBeInstanceOf(RetryableError);
    expect(stuck.outcomes[0]!.error!.code).toBe('wechat:42001');
    expect(fake.requestsTo('wecom.gettoken')).toHaveLength(5);
  });

  it('uses the target timeoutMs (options.wechat.notificationTimeout) for token, app and robot requests', async () => {
    const once = new WechatSender({ clock, retry: { attempts: 1 } });
    fake.script({ route: 'wecom.gettoken', delayMs: 1500 });
    const started = Date.now();
    const slowToken = await once.send({ ...app(), timeoutMs: 100 }, textMessage('x'));
    expect(Date.now() - started).toBeLessThan(1000) // the answer takes 1.5 s; the timeout is 100–150 ms;
    expect(slowToken.outcomes[0]!.error).toBeInstanceOf(RetryableError);
    expect(slowToken.outcomes[0]!.error!.code).toMatch(/^wechat:network-/);

    fake.script({ route: 'wecom.bot', delayMs: 1500 });
    const slowBot = await once.send({ chatbot: { webhookUrl: fake.wecomBotUrl('bot-key') }, timeoutMs: 100 }, textMessage('x'));
    expect(slowBot.outcomes[0]!.error).toBeInstanceOf(RetryableError);
  });

  it('reports invaliduser/invalidparty/invalidtag as a partial failure', async () => {
    const res = await sender.send(app({ toUser: ['alice', 'ghost'], toParty: ['999'] }), textMessage('x'));
    expect(res.outcomes[0]).toMatchObject({ status: 'partial', invalid: ['user:ghost', 'party:999'] });
    expect(failureOf(res)).toBeInstanceOf(PartialFailureError);
  });

  it('retries 45009 later and rejects bad credentials permanently', async () => {
    fake.script({ route: 'wecom.send', error: 45009, errmsg: 'api freq out of limit' });
    const limited = await sender.send(app(), textMessage('x'));
    const err = failureOf(limited);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(60_000);

    const bad = await sender.send({ app: { config: { ...config, secret: 'wrong' }, toUser: ['alice'] } }, textMessage('x'));
    expect(bad.outcomes[0]!.error).toBeInstanceOf(PermanentError);
    expect(bad.outcomes[0]!.error!.code).toBe('wechat:40001');
  });

  it('posts group-robot text with mentions, and markdown with <@user> appended', async () => {
    const bot = { webhookUrl: fake.wecomBotUrl('bot-key'), atUsers: ['@all', 'zhangsan'], atMobiles: ['13800000000'] };
    const res = await sender.send({ chatbot: bot }, textMessage('disk full'));
    await sender.send({ chatbot: bot, format: 'markdown' }, textMessage('# disk full'));
    const [text, md] = fake.requestsTo('wecom.bot');
    expect(text!.query).toEqual({ key: 'bot-key' });
    expect(text!.body).toEqual({
      msgtype: 'text',
      text: { content: 'disk full', mentioned_list: ['@all', 'zhangsan'], mentioned_mobile_list: ['13800000000'] },
    });
    expect(md!.body).toEqual({ msgtype: 'markdown', markdown: { content: '# disk full\n<@@all><@zhangsan>' } });
    expect(res.outcomes[0]!.destination).toBe(`${fake.url}/wecom/cgi-bin/webhook/send`);
    expect(JSON.stringify(res)).not.toContain('bot-key');
  });

  it('splits robot markdown at 4096 bytes minus the mentions', async () => {
    const bot = { webhookUrl: fake.wecomBotUrl('bot-key'), atUsers: ['zhangsan'] };
    const res = await sender.send({ chatbot: bot, format: 'markdown' }, alertMessage(alerts(120, (i) => `告警 ${i} ${'详'.repeat(20)}`)));
    const contents = fake.requestsTo('wecom.bot').map((r) => (r.body as { markdown: { content: string } }).markdown.content);
    expect(contents.length).toBeGreaterThan(1);
    for (const c of contents) {
      expect(utf8Length(c)).toBeLessThanOrEqual(4096);
      expect(c.endsWith('\n<@zhangsan>')).toBe(true);
    }
    expect(res.status).toBe('delivered');
  });

  describe('with a Redis token cache shared by two replicas', () => {
    let redis: PrivateRedisSocket;
    beforeAll(async () => {
      redis = await startRedisSocket();
    });
    afterAll(async () => redis.stop());

    it('fetches one token for both replicas', async () => {
      const a = new WechatSender({ tokenCache: new RedisTokenCache(redis.connect()) });
      const b = new WechatSender({ tokenCache: new RedisTokenCache(redis.connect()) });
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).send(app(), textMessage(`m${i}`))));
      expect(results.every((r) => r.status === 'delivered')).toBe(true);
      expect(fake.requestsTo('wecom.gettoken')).toHaveLength(1);
      fake.expireTokens('wecom');
      await Promise.all([a.send(app(), textMessage('x')), b.send(app(), textMessage('y'))]);
      expect(fake.requestsTo('wecom.gettoken')).toHaveLength(2);
    });
  });
});
