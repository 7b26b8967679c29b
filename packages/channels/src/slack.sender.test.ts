import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startVendorFake, type VendorFake } from '@nm/testing/vendor-fake';
import { PermanentError, RetryableError } from '@nm/errors';
import { failureOf } from './delivery.runner.js';
import { SlackSender } from './slack.sender.js';
import { RecordingClock, alertMessage, alerts, textMessage } from './test-support/fixtures.js';
import { utf8Length } from './message.splitter.js';

describe('SlackSender', () => {
  let fake: VendorFake;
  let clock: RecordingClock;
  let sender: SlackSender;
  const token = 'xoxb-test-token';

  beforeAll(async () => {
    fake = await startVendorFake({ slack: { tokens: [token], channels: ['#ops', 'C123'] } });
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = new RecordingClock();
    sender = new SlackSender({ apiUrl: fake.urls.slackApi, clock });
  });

  it('posts chat.postMessage per channel with the bot token, exactly as Slack expects', async () => {
    const res = await sender.send({ token, channels: ['#ops', 'C123'] }, textMessage('*KubePodCrashLooping* firing'));
    const reqs = fake.requestsTo('slack.postMessage');
    expect(reqs).toHaveLength(2);
    for (const r of reqs) {
      expect(r.method).toBe('POST');
      expect(r.path).toBe('/slack/api/chat.postMessage');
      expect(r.headers.authorization).toBe(`Bearer ${token}`);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    }
    const bodies = reqs.map((r) => r.body as { channel: string; text: string });
    expect(bodies.sort((x, y) => x.channel.localeCompare(y.channel))).toEqual([
      { channel: '#ops', text: '*KubePodCrashLooping* firing' },
      { channel: 'C123', text: '*KubePodCrashLooping* firing' },
    ]);
    expect(res.status).toBe('delivered');
    expect(res.outcomes.map((o) => o.destination)).toEqual(['#ops', 'C123']);
    expect(res.outcomes[0]!.upstreamMessageId).toMatch(/^#ops\/\d+\.\d+$/);
    expect(JSON.stringify(res)).not.toContain(token);
  });

  it('posts to incoming webhooks and keeps their secret out of the result', async () => {
    const url = fake.slackWebhookUrl('T1/B2/very-secret');
    const res = await sender.send({ channels: [], webhookUrl: url }, textMessage('hello'));
    const [req] = fake.requestsTo('slack.webhook');
    expect(req!.body).toEqual({ text: 'hello' });
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', destination: `${fake.url}/slack/services/***/***/***` });
    expect(JSON.stringify(res)).not.toContain('very-secret');
  });

  it('splits long messages at the byte limit on UTF-8 boundaries, in order', async () => {
    const small = new SlackSender({ apiUrl: fake.urls.slackApi, clock, maxBytes: 120 });
    const list = alerts(9, (i) => `节点 ${i} 内存不足 ✓`);
    const res = await small.send({ token, channels: ['C123'] }, alertMessage(list));
    const texts = fake.requestsTo('slack.postMessage').map((r) => (r.body as { text: string }).text);
    expect(texts.length).toBeGreaterThan(2);
    for (const t of texts) expect(utf8Length(t)).toBeLessThanOrEqual(120);
    expect(texts.join('\n')).toBe(list.map((a) => `${a.labels.alertname}: ${a.annotations.summary}`).join('\n'));
    expect(res.outcomes.map((o) => o.chunk.index)).toEqual(texts.map((_, i) => i));
  });

  it('treats ok:false errors and bad tokens as permanent', async () => {
    fake.script({ route: 'slack.postMessage', error: 'not_in_channel' });
    const notIn = await sender.send({ token, channels: ['C123'] }, textMessage('x'));
    expect(notIn.outcomes[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(notIn.outcomes[0]!.error).toBeInstanceOf(PermanentError);
    expect(notIn.outcomes[0]!.error!.code).toBe('slack:not_in_channel');

    const badAuth = await sender.send({ token: 'xoxb-wrong', channels: ['C123'] }, textMessage('x'));
    expect(badAuth.outcomes[0]!.error!.code).toBe('slack:invalid_auth');
    expect(failureOf(badAuth)).toBeInstanceOf(PermanentError);
    expect(fake.requestsTo('slack.postMessage')).toHaveLength(2);
  });

  it('honours 429 Retry-After: short waits inline, long ones go back to the bus', async () => {
    fake.script({ route: 'slack.postMessage', retryAfterSec: 1 });
    const res = await sender.send({ token, channels: ['C123'] }, textMessage('x'));
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(clock.sleeps).toEqual([1000]);

    fake.script({ route: 'slack.postMessage', retryAfterSec: 30 });
    const later = await sender.send({ token, channels: ['C123'] }, textMessage('x'));
    const err = failureOf(later);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(30_000);
    expect(err!.code).toBe('slack:http-429');
  });

  it('retries connection resets and 5xx, and times out slow responses as retryable', async () => {
    fake.script({ route: 'slack.postMessage', reset: true });
    const reset = await sender.send({ token, channels: ['C123'] }, textMessage('x'));
    expect(reset.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });

    fake.script({ route: 'slack.webhook', status: 500, body: 'rollup_error', times: 5 });
    const five = await sender.send({ channels: [], webhookUrl: fake.slackWebhookUrl('T/B/x') }, textMessage('x'));
    expect(five.outcomes[0]!.error).toBeInstanceOf(RetryableError);
    expect(five.outcomes[0]!.attempts).toBeGreaterThan(1);

    const impatient = new SlackSender({ apiUrl: fake.urls.slackApi, clock, timeoutMs: 100, retry: { attempts: 1 } });
    fake.script({ route: 'slack.postMessage', delayMs: 400 });
    const slow = await impatient.send({ token, channels: ['C123'] }, textMessage('x'));
    expect(slow.outcomes[0]!.error).toBeInstanceOf(RetryableError);
    expect(slow.outcomes[0]!.error!.code).toMatch(/^slack:network-/);
  });

  it('uses the target timeoutMs (options.slack.notificationTimeout) over the sender default', async () => {
    fake.script({ route: 'slack.postMessage', delayMs: 1500, times: 2 });
    const started = Date.now();
    const slow = await sender.send({ token, channels: ['C123'], timeoutMs: 100 }, textMessage('x'));
    expect(Date.now() - started).toBeLessThan(1000) // the answer takes 1.5 s; the timeout is 100–150 ms;
    expect(slow.outcomes[0]!.error).toBeInstanceOf(RetryableError);
    expect(slow.outcomes[0]!.error!.code).toMatch(/^slack:network-/);
  });

  it('rejects a target without a usable destination', async () => {
    await expect(sender.send({ channels: ['C123'] }, textMessage('x'))).rejects.toBeInstanceOf(PermanentError);
    await expect(sender.send({ token, channels: [] }, textMessage('x'))).rejects.toBeInstanceOf(PermanentError);
  });
});
