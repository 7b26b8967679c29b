import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startVendorFake, type VendorFake } from '@nm/testing/vendor-fake';
import { PermanentError, RetryableError } from '@nm/errors';
import { failureOf } from './delivery.runner.js';
import { DingtalkSender, dingtalkSign, type DingtalkTarget } from './dingtalk.sender.js';
import { utf8Length } from './message.splitter.js';
import { MemoryRateLimiter, RedisRateLimiter } from './rate.limiter.js';
import { RecordingClock, RecordingLimiter, alertMessage, alerts, textMessage } from './test-support/fixtures.js';
import { startRedisSocket, type PrivateRedisSocket } from './test-support/redis.server.js';

describe('DingtalkSender', () => {
  let fake: VendorFake;
  let clock: RecordingClock;
  let limiter: RecordingLimiter;
  let sender: DingtalkSender;
  const secret = 'SEC-robot-secret';
  let robot: (over?: Partial<NonNullable<DingtalkTarget['chatbot']>>) => DingtalkTarget;
  const conversation = (chatIds: string[] = ['chat-1']): DingtalkTarget => ({ conversation: { appKey: 'ding-key', appSecret: 'ding-secret', chatIds } });

  beforeAll(async () => {
    fake = await startVendorFake({
      dingtalk: {
        robots: { 'robot-token': { secret, keywords: ['告警'] }, 'plain-robot': {}, 'slow-robot': {} },
        // Narrower than the senders' 3 per 400 ms below: the 200 ms margin absorbs the time a granted
        // request spends in transit on a loaded machine, while 8 unthrottled requests still trip it.
        robotRateLimit: { limit: 3, windowMs: 200 },
        apps: [{ appKey: 'ding-key', appSecret: 'ding-secret' }],
        chats: ['chat-1', 'chat-2'],
        tokenTtlSec: 7200,
      },
    });
    robot = (over = {}) => ({ chatbot: { webhookUrl: fake.dingtalkRobotUrl('robot-token'), secret, keywords: ['告警'], ...over } });
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = new RecordingClock();
    limiter = new RecordingLimiter();
    sender = new DingtalkSender({ apiUrl: fake.urls.dingtalkApi, clock, rateLimiter: limiter });
  });

  it('signs robot requests (ms timestamp) and sends text with keywords and @mentions', async () => {
    const before = Date.now();
    const res = await sender.send(robot({ atMobiles: ['13800000000'], atUserIds: ['user123'] }), textMessage('Pod crash looping'));
    const [req] = fake.requestsTo('dingtalk.robot');
    expect(req!.response).toEqual({ status: 200, body: { errcode: 0, errmsg: 'ok' } });
    const ts = Number(req!.query.timestamp);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Date.now());
    expect(req!.query.sign).toBe(dingtalkSign(ts, secret));
    expect(req!.body).toEqual({
      msgtype: 'text',
      text: { content: 'Pod crash looping\n\n[Keywords] 告警' },
      at: { atMobiles: ['13800000000'], atUserIds: ['user123'], isAtAll: false },
    });
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', destination: `${fake.url}/dingtalk/robot/send` });
    expect(JSON.stringify(res)).not.toContain('robot-token');
    expect(limiter.calls[0]).toMatchObject({ limit: 20, windowMs: 60_000, maxWaitMs: 10_000 });
    expect(limiter.calls[0]!.key).not.toContain('robot-token');
  });

  it('sends markdown with a title and @mobiles in the text, since DingTalk only notifies those', async () => {
    await sender.send({ ...robot({ atMobiles: ['13800000000'], atAll: true }), format: 'markdown' }, textMessage('### 告警 firing', '[FIRING:1] KubeNodeNotReady'));
    const [req] = fake.requestsTo('dingtalk.robot');
    expect(req!.body).toEqual({
      msgtype: 'markdown',
      markdown: { title: '[FIRING:1] KubeNodeNotReady', text: '### 告警 firing @13800000000\n\n[Keywords] 告警' },
      at: { atMobiles: ['13800000000'], atUserIds: [], isAtAll: true },
    });
  });

  it('is rejected by DingTalk when the secret is wrong (permanent)', async () => {
    const res = await sender.send(robot({ secret: 'not-the-secret' }), textMessage('x'));
    expect(res.outcomes[0]!.error).toBeInstanceOf(PermanentError);
    expect(res.outcomes[0]!.error!.code).toBe('dingtalk:310000');
  });

  it('splits at 19960 bytes minus keywords and mentions, multi-byte safe', async () => {
    const list = alerts(60, (i) => `集群节点 ${i} 的内存使用率持续超过百分之九十五 `.repeat(12));
    const res = await sender.send(robot({ atMobiles: ['13800000000'] }), alertMessage(list));
    const texts = fake.requestsTo('dingtalk.robot').map((r) => (r.body as { text: { content: string } }).text.content);
    expect(texts.length).toBeGreaterThan(1);
    for (const t of texts) {
      expect(utf8Length(t)).toBeLessThanOrEqual(19_960);
      expect(t.endsWith('\n\n[Keywords] 告警')).toBe(true);
    }
    expect(res.status).toBe('delivered');
    expect(res.outcomes.flatMap((o) => o.alertIds)).toHaveLength(60);
  });

  it('retries 130101 later instead of dropping', async () => {
    fake.script({ route: 'dingtalk.robot', error: 130101, errmsg: 'send too fast' });
    const res = await sender.send({ chatbot: { webhookUrl: fake.dingtalkRobotUrl('plain-robot') } }, textMessage('x'));
    const err = failureOf(res);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(60_000);
  });

  it('sends to enterprise conversations with a cached app token', async () => {
    const res = await Promise.all([
      sender.send(conversation(['chat-1', 'chat-2']), textMessage('hello')),
      sender.send({ ...conversation(), format: 'markdown' }, textMessage('**bold**', 'Title')),
    ]);
    expect(fake.requestsTo('dingtalk.gettoken')).toHaveLength(1);
    expect(fake.requestsTo('dingtalk.gettoken')[0]!.query).toEqual({ appkey: 'ding-key', appsecret: 'ding-secret' });
    const bodies = fake.requestsTo('dingtalk.chat').map((r) => r.body);
    expect(bodies).toContainEqual({ chatid: 'chat-1', msg: { msgtype: 'text', text: { content: 'hello' } } });
    expect(bodies).toContainEqual({ chatid: 'chat-2', msg: { msgtype: 'text', text: { content: 'hello' } } });
    expect(bodies).toContainEqual({ chatid: 'chat-1', msg: { msgtype: 'markdown', markdown: { title: 'Title', text: '**bold**' } } });
    expect(res[0].outcomes.map((o) => o.destination)).toEqual(['chat:chat-1', 'chat:chat-2']);
    expect(res[0].outcomes[0]!.upstreamMessageId).toMatch(/^dt-/);
    expect(limiter.calls.filter((c) => c.limit === 25)).toHaveLength(3);
    expect(limiter.calls[0]).toMatchObject({ limit: 25, windowMs: 1000, maxWaitMs: 1000 });
  });

  it('splits conversation messages at 5000 bytes and refreshes an expired token once', async () => {
    await sender.send(conversation(), textMessage('warm'));
    fake.expireTokens('dingtalk');
    const res = await sender.send(conversation(), alertMessage(alerts(50, (i) => `告警内容 ${i} `.repeat(10))));
    expect(res.status).toBe('delivered');
    expect(fake.requestsTo('dingtalk.gettoken')).toHaveLength(2);
    const chats = fake.requestsTo('dingtalk.chat');
    expect((chats[1]!.response as { body: { errcode: number } }).body.errcode).toBe(42001);
    for (const r of chats) expect(utf8Length((r.body as { msg: { text: { content: string } } }).msg.text.content)).toBeLessThanOrEqual(5000);
    expect(chats.length).toBeGreaterThan(3);
  });

  it('rejects an unknown app permanently', async () => {
    const res = await sender.send({ conversation: { appKey: 'ding-key', appSecret: 'wrong', chatIds: ['chat-1'] } }, textMessage('x'));
    expect(res.outcomes[0]!.error).toBeInstanceOf(PermanentError);
    expect(res.outcomes[0]!.error!.code).toBe('dingtalk:40089');
  });

  describe('per-notification options on the target (options.dingtalk)', () => {
    it('splits at the chatbotMessageMaxSize / conversationMessageMaxSize of the target when smaller', async () => {
      const list = alerts(20, (i) => `节点 ${i} 的磁盘使用率超过百分之九十 `.repeat(3));
      // about 2.7 KB in all: one message under the defaults (19960 / 5000 bytes)
      expect(utf8Length(list.map((a) => `${a.labels.alertname}: ${a.annotations.summary}`).join('\n'))).toBeLessThan(5000);
      const limits = { chatbotMaxBytes: 1500, conversationMaxBytes: 400 };
      const res = await sender.send({ chatbot: { webhookUrl: fake.dingtalkRobotUrl('plain-robot') }, conversation: { appKey: 'ding-key', appSecret: 'ding-secret', chatIds: ['chat-1'] }, limits }, alertMessage(list));
      expect(res.status).toBe('delivered');
      const robotTexts = fake.requestsTo('dingtalk.robot').map((r) => (r.body as { text: { content: string } }).text.content);
      const chatTexts = fake.requestsTo('dingtalk.chat').map((r) => (r.body as { msg: { text: { content: string } } }).msg.text.content);
      expect(robotTexts.length).toBeGreaterThan(1);
      expect(chatTexts.length).toBeGreaterThan(robotTexts.length);
      for (const t of robotTexts) expect(utf8Length(t)).toBeLessThanOrEqual(1500);
      for (const t of chatTexts) expect(utf8Length(t)).toBeLessThanOrEqual(400);
      expect(res.outcomes.filter((o) => o.destination === 'chat:chat-1').flatMap((o) => o.alertIds)).toHaveLength(20);
    });

    it('throttles with the target threshold, keeping the default unit and maxWaitTime it does not set', async () => {
      await sender.send({ ...robot(), conversation: { appKey: 'ding-key', appSecret: 'ding-secret', chatIds: ['chat-1'] }, limits: { chatbotRateLimit: { limit: 5 }, conversationRateLimit: { limit: 2, windowMs: 500, maxWaitMs: 0 } } }, textMessage('告警'));
      expect(limiter.calls.find((c) => c.key.startsWith('dingtalk-robot:'))).toMatchObject({ limit: 5, windowMs: 60_000, maxWaitMs: 10_000 });
      expect(limiter.calls.find((c) => c.key.startsWith('dingtalk-app:'))).toMatchObject({ limit: 2, windowMs: 500, maxWaitMs: 0 });
    });

    it('hands the message back as retryable once the per-target threshold is used up', async () => {
      const real = new DingtalkSender({ apiUrl: fake.urls.dingtalkApi, clock, rateLimiter: new MemoryRateLimiter() });
      const target: DingtalkTarget = { chatbot: { webhookUrl: fake.dingtalkRobotUrl('plain-robot') }, limits: { chatbotRateLimit: { limit: 1, maxWaitMs: 0 } } };
      expect((await real.send(target, textMessage('first'))).status).toBe('delivered');
      const err = failureOf(await real.send(target, textMessage('second')));
      expect(err).toBeInstanceOf(RetryableError);
      expect(err!.code).toBe('ratelimit:wait-exceeded');
      expect(fake.requestsTo('dingtalk.robot')).toHaveLength(1);
    });

    it('times a slow robot out after the target timeoutMs, as a retryable failure', async () => {
      const once = new DingtalkSender({ apiUrl: fake.urls.dingtalkApi, clock, rateLimiter: limiter, retry: { attempts: 1 } });
      fake.script({ route: 'dingtalk.robot', delayMs: 1500 });
      const started = Date.now();
      const res = await once.send({ chatbot: { webhookUrl: fake.dingtalkRobotUrl('plain-robot') }, timeoutMs: 100 }, textMessage('x'));
      expect(Date.now() - started).toBeLessThan(1000) // the answer takes 1.5 s; the timeout is 100–150 ms;
      const err = res.outcomes[0]!.error!;
      expect(err).toBeInstanceOf(RetryableError);
      expect(err.code).toMatch(/^dingtalk:network-/);
    });
  });

  describe('robot rate limit shared by two replicas through Redis', () => {
    let redis: PrivateRedisSocket;
    beforeAll(async () => {
      redis = await startRedisSocket();
    });
    afterAll(async () => redis.stop());

    it('queues over-limit messages so DingTalk never answers 130101, losing none', async () => {
      const limit = { limit: 3, windowMs: 400, maxWaitMs: 5000 };
      const replicas = [0, 1].map(
        () => new DingtalkSender({ apiUrl: fake.urls.dingtalkApi, rateLimiter: new RedisRateLimiter(redis.connect()), chatbotRateLimit: limit }),
      );
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => replicas[i % 2]!.send(robot(), textMessage(`告警 ${i}`))),
      );
      expect(results.map((r) => r.status)).toEqual(Array(8).fill('delivered'));
      const replies = fake.requestsTo('dingtalk.robot').map((r) => (r.response as { body: { errcode: number } }).body.errcode);
      expect(replies).toEqual(Array(8).fill(0));
      expect(Date.now() - started).toBeGreaterThanOrEqual(790);
    });

    it('hands a message back for redelivery when the wait would be too long', async () => {
      const strict = new DingtalkSender({
        apiUrl: fake.urls.dingtalkApi,
        rateLimiter: new RedisRateLimiter(redis.connect()),
        chatbotRateLimit: { limit: 1, windowMs: 60_000, maxWaitMs: 100 },
      });
      const target: DingtalkTarget = { chatbot: { webhookUrl: fake.dingtalkRobotUrl('slow-robot') } };
      expect((await strict.send(target, textMessage('first'))).status).toBe('delivered');
      const second = await strict.send(target, textMessage('second'));
      const err = failureOf(second);
      expect(err).toBeInstanceOf(RetryableError);
      expect(err!.code).toBe('ratelimit:wait-exceeded');
      expect((err as RetryableError).retryAfterMs).toBeGreaterThan(55_000);
      expect(fake.requestsTo('dingtalk.robot')).toHaveLength(1);
    });
  });
});
