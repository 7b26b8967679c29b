import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { PermanentError, RetryableError } from '@nm/errors';
import { startVendorFake, type VendorFake } from '@nm/testing/vendor-fake';
import { failureOf } from './delivery.runner.js';
import { GoogleChatSender } from './googlechat.sender.js';
import { RecordingClock, alertMessage, alerts, renderLines, textMessage } from './test-support/fixtures.js';

describe('GoogleChatSender', () => {
  let fake: VendorFake;
  let clock: RecordingClock;
  let sender: GoogleChatSender;
  let url: string;

  beforeAll(async () => {
    fake = await startVendorFake({ googlechat: { spaces: { AAAA1: { key: 'chat-key', token: 'chat-token' } } } });
    url = fake.googlechatWebhookUrl('AAAA1', 'chat-key', 'chat-token');
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = new RecordingClock();
    sender = new GoogleChatSender({ clock });
  });

  it('posts {text} to the space webhook and keeps key and token out of the result', async () => {
    const body = (l: Parameters<typeof renderLines>[0]) => ({ body: renderLines(l).body });
    const res = await sender.send({ webhookUrl: url }, alertMessage(alerts(2), body));
    const [req, ...more] = fake.requestsTo('googlechat.webhook');
    expect(more).toHaveLength(0);
    expect(req!.path).toBe('/googlechat/v1/spaces/AAAA1/messages');
    expect(req!.query).toEqual({ key: 'chat-key', token: 'chat-token' });
    expect(req!.body).toEqual({ text: 'Alert0: summary 0\nAlert1: summary 1' });
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', destination: `${fake.url}/googlechat/v1/spaces/AAAA1/messages`, upstreamMessageId: expect.stringMatching(/^spaces\/AAAA1\/messages\//) });
    expect(JSON.stringify(res)).not.toMatch(/chat-key|chat-token/);
  });

  it('leads a caller-rendered text with its title in bold', async () => {
    await sender.send({ webhookUrl: url }, textMessage('body', 'Title'));
    expect(fake.requestsTo('googlechat.webhook')[0]!.body).toEqual({ text: '*Title*\nbody' });
  });

  it('splits between alerts under the 4096-character limit, counting characters, not bytes', async () => {
    const list = alerts(30, (i) => `${i} ${'磁盘'.repeat(150)}`);
    const res = await sender.send({ webhookUrl: url }, alertMessage(list, (l) => ({ body: renderLines(l).body })));
    const texts = fake.requestsTo('googlechat.webhook').map((r) => (r.body as { text: string }).text);
    expect(texts.length).toBeGreaterThan(1);
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(texts[0]!)).toBeGreaterThan(4096);
    expect(texts.join('\n')).toBe(renderLines(list).body);
    expect(res.status).toBe('delivered');
  });

  it('retries RESOURCE_EXHAUSTED (429) and 5xx; a revoked token or deleted space is permanent', async () => {
    fake.script({ route: 'googlechat.webhook', retryAfterSec: 1 });
    expect((await sender.send({ webhookUrl: url }, textMessage('x'))).outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(clock.sleeps).toEqual([1000]);

    fake.script({ route: 'googlechat.webhook', retryAfterSec: 90 });
    expect(failureOf(await sender.send({ webhookUrl: url }, textMessage('x')))).toMatchObject({ code: 'googlechat:http-429', retryAfterMs: 90_000 });

    fake.script({ route: 'googlechat.webhook', status: 503, body: { error: { code: 503, status: 'UNAVAILABLE' } }, times: 10 });
    expect(failureOf(await sender.send({ webhookUrl: url }, textMessage('x')))).toBeInstanceOf(RetryableError);
    fake.reset();

    const revoked = await sender.send({ webhookUrl: fake.googlechatWebhookUrl('AAAA1', 'chat-key', 'old') }, textMessage('x'));
    expect(failureOf(revoked)).toBeInstanceOf(PermanentError);
    expect(revoked.outcomes[0]!.error!.message).toBe('googlechat answered HTTP 401: UNAUTHENTICATED');
    const gone = await sender.send({ webhookUrl: fake.googlechatWebhookUrl('ZZZ', 'chat-key', 'chat-token') }, textMessage('x'));
    expect(gone.outcomes[0]).toMatchObject({ attempts: 1, error: expect.objectContaining({ code: 'googlechat:http-404' }) });
  });
});
