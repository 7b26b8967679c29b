import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startVendorFake, type VendorFake } from '@nm/testing/vendor-fake';
import { PartialFailureError, PermanentError, RetryableError } from '@nm/errors';
import { deliveredKeysOf, failureOf } from './delivery.runner.js';
import { TelegramSender } from './telegram.sender.js';
import { RecordingClock, alertMessage, alerts, textMessage } from './test-support/fixtures.js';

const TOKEN = '123456789:AAE-telegram-secret_token';

describe('TelegramSender', () => {
  let fake: VendorFake;
  let clock: RecordingClock;
  let sender: TelegramSender;
  const bodies = (): Record<string, unknown>[] => fake.requestsTo('telegram.sendMessage').map((r) => r.body as Record<string, unknown>);

  beforeAll(async () => {
    fake = await startVendorFake({ telegram: { tokens: [TOKEN], chats: ['@ops', '-1001234567890'] } });
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = new RecordingClock();
    sender = new TelegramSender({ apiUrl: fake.urls.telegramApi, clock });
  });

  it('calls sendMessage once per chat with the bot token, plain text and the mentions', async () => {
    const res = await sender.send({ token: TOKEN, channels: ['@ops', '-1001234567890'], mentionedUsers: ['alice', '@bob'] }, textMessage('*disk* <b>full</b>'));
    const reqs = fake.requestsTo('telegram.sendMessage');
    expect(reqs.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([
      ['POST', `/telegram/bot${TOKEN}/sendMessage`, 'application/json; charset=utf-8'],
      ['POST', `/telegram/bot${TOKEN}/sendMessage`, 'application/json; charset=utf-8'],
    ]);
    expect(reqs.map((r) => r.rawBody).sort()).toEqual([
      '{"chat_id":"@ops","text":"*disk* <b>full</b>\\n@alice @bob"}',
      '{"chat_id":-1001234567890,"text":"*disk* <b>full</b>\\n@alice @bob"}',
    ]);
    expect(res.status).toBe('delivered');
    expect(res.outcomes.map((o) => o.destination)).toEqual(['@ops', '-1001234567890']);
    expect(res.outcomes[0]!.upstreamMessageId).toMatch(/^@ops\/\d+$/);
    expect(JSON.stringify(res)).not.toContain(TOKEN);
  });

  it('splits at 4096 characters minus the mentions, every alert once and in order', async () => {
    const list = alerts(100, (i) => `节点 ${i} 内存不足 ${'✓'.repeat(80)}`);
    await sender.send({ token: TOKEN, channels: ['@ops'], mentionedUsers: ['oncall'] }, alertMessage(list));
    const texts = bodies().map((b) => b.text as string);
    expect(texts.length).toBeGreaterThan(2);
    for (const t of texts) {
      expect(t.length).toBeLessThanOrEqual(4096);
      expect(t.endsWith('\n@oncall')).toBe(true);
    }
    expect(texts.map((t) => t.slice(0, -'\n@oncall'.length)).join('\n')).toBe(list.map((a) => `${a.labels.alertname}: ${a.annotations.summary}`).join('\n'));
  });

  it('an unknown chat fails alone (ok:false); redelivery sends only to it', async () => {
    const target = { token: TOKEN, channels: ['@ops', '@nowhere', '-1001234567890'] };
    const first = await sender.send(target, textMessage('x'));
    expect(first.outcomes.map((o) => o.status)).toEqual(['delivered', 'failed', 'delivered']);
    const bad = first.outcomes[1]!;
    expect(bad.error).toBeInstanceOf(PermanentError);
    expect(bad.error!.message).toBe('telegram answered HTTP 400: Bad Request: chat not found');
    expect(failureOf(first)).toBeInstanceOf(PartialFailureError);

    fake.reset();
    const again = await sender.send(target, textMessage('x'), { deliveredKeys: deliveredKeysOf(first) });
    expect(bodies().map((b) => b.chat_id)).toEqual(['@nowhere']);
    expect(again.outcomes.map((o) => o.status)).toEqual(['duplicate', 'failed', 'duplicate']);
  });

  it('waits parameters.retry_after of a 429 (Telegram sends no header); long waits go back to the bus', async () => {
    fake.script({ route: 'telegram.sendMessage', retryAfterSec: 3 });
    const res = await sender.send({ token: TOKEN, channels: ['@ops'] }, textMessage('x'));
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(clock.sleeps).toEqual([3000]);

    fake.script({ route: 'telegram.sendMessage', retryAfterSec: 35 });
    const later = failureOf(await sender.send({ token: TOKEN, channels: ['@ops'] }, textMessage('x')));
    expect(later).toBeInstanceOf(RetryableError);
    expect((later as RetryableError).retryAfterMs).toBe(35_000);
    expect(later!.code).toBe('telegram:http-429');
  });

  it('a bad token is permanent and never shows in the result; 5xx and ok:false with a 5xx code retry', async () => {
    const bad = await sender.send({ token: '999:wrong-token', channels: ['@ops'] }, textMessage('x'));
    expect(bad.outcomes[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(bad.outcomes[0]!.error!.message).toBe('telegram answered HTTP 401: Unauthorized');
    expect(JSON.stringify(bad)).not.toContain('wrong-token');
    expect(failureOf(bad)).toBeInstanceOf(PermanentError);

    fake.script({ route: 'telegram.sendMessage', error: 502, errmsg: 'Bad Gateway' });
    const five = await sender.send({ token: TOKEN, channels: ['@ops'] }, textMessage('x'));
    expect(five.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });

    fake.script({ route: 'telegram.sendMessage', status: 200, body: { ok: false, error_code: 500, description: 'Internal Server Error' } });
    const inner = await sender.send({ token: TOKEN, channels: ['@ops'] }, textMessage('x'));
    expect(inner.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });

    fake.script({ route: 'telegram.sendMessage', error: 'bot was blocked by the user', errmsg: 'Forbidden: bot was blocked by the user' });
    const blocked = await sender.send({ token: TOKEN, channels: ['@ops'] }, textMessage('x'));
    expect(blocked.outcomes[0]!.error).toBeInstanceOf(PermanentError);
  });

  it('rejects a target without a token or chats', async () => {
    await expect(sender.send({ token: '', channels: ['@ops'] }, textMessage('x'))).rejects.toBeInstanceOf(PermanentError);
    await expect(sender.send({ token: TOKEN, channels: [] }, textMessage('x'))).rejects.toBeInstanceOf(PermanentError);
  });
});
