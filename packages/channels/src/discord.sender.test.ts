import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startVendorFake, type VendorFake } from '@nm/testing/vendor-fake';
import { PermanentError, RetryableError } from '@nm/errors';
import { deliveredKeysOf, failureOf } from './delivery.runner.js';
import { DiscordSender } from './discord.sender.js';
import { RecordingClock, alertMessage, alerts, renderLines, textMessage } from './test-support/fixtures.js';

const HOOK = '112233445566778899/very-secret-webhook-token';

describe('DiscordSender', () => {
  let fake: VendorFake;
  let clock: RecordingClock;
  let sender: DiscordSender;
  let url: string;
  const bodies = (): Record<string, unknown>[] => fake.requestsTo('discord.webhook').map((r) => r.body as Record<string, unknown>);

  beforeAll(async () => {
    fake = await startVendorFake({ discord: { webhooks: [HOOK] } });
    url = fake.discordWebhookUrl(HOOK);
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = new RecordingClock();
    sender = new DiscordSender({ clock });
  });

  it('posts content with the Receiver mentions appended; only those mentions may notify (204 is success)', async () => {
    const res = await sender.send(
      { webhookUrl: url, mentionedUsers: ['80351110224678912', 'everyone'], mentionedRoles: ['165511591545143296'] },
      textMessage('disk full: @here <@999> said so'),
    );
    const [req] = fake.requestsTo('discord.webhook');
    expect(req!.path).toBe(`/discord/api/webhooks/${HOOK}`);
    expect(req!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(req!.body).toEqual({
      content: 'disk full: @here <@999> said so\n<@80351110224678912> @everyone <@&165511591545143296>',
      allowed_mentions: { parse: ['everyone'], users: ['80351110224678912'], roles: ['165511591545143296'] },
    });
    expect(req!.response).toEqual({ status: 204, body: '' });
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', destination: `${fake.url}/discord/api/webhooks/***/***` });
    expect(JSON.stringify(res)).not.toContain('very-secret');
  });

  it('without configured mentions nothing in an alert can ping anyone', async () => {
    await sender.send({ webhookUrl: url }, textMessage('@everyone <@123> <@&456>'));
    expect(bodies()[0]).toEqual({ content: '@everyone <@123> <@&456>', allowed_mentions: { parse: [], users: [], roles: [] } });
  });

  it('posts an embed: the text in description, the title when rendered, the mentions in content', async () => {
    await sender.send({ webhookUrl: url, type: 'embed', mentionedRoles: ['42'] }, textMessage('line 1\nline 2', '[FIRING:1] DiskFull'));
    expect(bodies()[0]).toEqual({
      content: '<@&42>',
      embeds: [{ title: '[FIRING:1] DiskFull', description: 'line 1\nline 2' }],
      allowed_mentions: { parse: [], users: [], roles: ['42'] },
    });
  });

  it('splits content at 2000 characters minus the mentions, and embeds at 4096, every alert once and in order', async () => {
    const list = alerts(120, (i) => `pod ${i} crash looping ${'·'.repeat(30)}`);
    const lines = list.map((a) => `${a.labels.alertname}: ${a.annotations.summary}`).join('\n');
    await sender.send({ webhookUrl: url, mentionedUsers: ['80351110224678912'] }, alertMessage(list));
    const contents = bodies().map((b) => b.content as string);
    expect(contents.length).toBeGreaterThan(2);
    for (const c of contents) {
      expect(c.length).toBeLessThanOrEqual(2000);
      expect(c.endsWith('\n<@80351110224678912>')).toBe(true);
    }
    expect(contents.map((c) => c.slice(0, -'\n<@80351110224678912>'.length)).join('\n')).toBe(lines);
    expect(fake.requestsTo('discord.webhook').every((r) => !('reset' in r.response) && r.response.status === 204)).toBe(true);

    fake.reset();
    await sender.send({ webhookUrl: url, type: 'embed' }, alertMessage(list, renderLines));
    const descriptions = bodies().map((b) => (b.embeds as { description: string }[])[0]!.description);
    expect(descriptions.length).toBeLessThan(contents.length);
    for (const d of descriptions) expect(d.length).toBeLessThanOrEqual(4096);
    expect(descriptions.join('\n')).toBe(lines);
  });

  it('a failing chunk keeps the later ones back; redelivery sends only what was not delivered', async () => {
    const small = new DiscordSender({ clock, maxContentChars: 12, retry: { attempts: 1 } });
    const msg = alertMessage(alerts(3, (i) => `s${i}`));
    fake.script({ route: 'discord.webhook', status: 502, body: 'bad gateway', match: (r) => String((r.body as { content: string }).content).includes('Alert1') });
    const first = await small.send({ webhookUrl: url }, msg);
    expect(first.outcomes.map((o) => o.status)).toEqual(['delivered', 'failed', 'failed']);
    expect(first.outcomes[2]!.error!.code).toBe('discord:not-attempted');
    expect(failureOf(first)).toBeInstanceOf(RetryableError);

    fake.reset();
    const again = await small.send({ webhookUrl: url }, msg, { deliveredKeys: deliveredKeysOf(first) });
    expect(bodies().map((b) => b.content)).toEqual(['Alert1: s1', 'Alert2: s2']);
    expect(again.outcomes.map((o) => o.status)).toEqual(['duplicate', 'delivered', 'delivered']);
  });

  it('honours the retry_after of a 429 body over the rounded header; long waits go back to the bus', async () => {
    fake.script({ route: 'discord.webhook', retryAfterSec: 0.25 });
    const res = await sender.send({ webhookUrl: url }, textMessage('x'));
    expect(res.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(clock.sleeps).toEqual([250]);

    fake.script({ route: 'discord.webhook', retryAfterSec: 42.5 });
    const later = failureOf(await sender.send({ webhookUrl: url }, textMessage('x')));
    expect(later).toBeInstanceOf(RetryableError);
    expect((later as RetryableError).retryAfterMs).toBe(42_500);
    expect(later!.code).toBe('discord:http-429');
  });

  it('an unknown webhook or an invalid body is permanent, 5xx and resets retry', async () => {
    const unknown = await sender.send({ webhookUrl: fake.discordWebhookUrl('1/nope') }, textMessage('x'));
    expect(unknown.outcomes[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(unknown.outcomes[0]!.error).toBeInstanceOf(PermanentError);
    expect(unknown.outcomes[0]!.error!.message).toBe('discord answered HTTP 404: Unknown Webhook (code 10015)');

    fake.script({ route: 'discord.webhook', reset: true });
    const reset = await sender.send({ webhookUrl: url }, textMessage('x'));
    expect(reset.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });

    fake.script({ route: 'discord.webhook', status: 500, body: { message: 'internal' } });
    const five = await sender.send({ webhookUrl: url }, textMessage('x'));
    expect(five.outcomes[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('refuses mentions that are not ids, and a target without a webhook', async () => {
    await expect(sender.send({ webhookUrl: url, mentionedUsers: ['@alice'] }, textMessage('x'))).rejects.toMatchObject({
      name: 'PermanentError',
      code: 'discord:invalid-mention',
    });
    await expect(sender.send({ webhookUrl: url, mentionedRoles: ['admins'] }, textMessage('x'))).rejects.toBeInstanceOf(PermanentError);
    await expect(sender.send({ webhookUrl: '' }, textMessage('x'))).rejects.toBeInstanceOf(PermanentError);
    expect(fake.requestsTo('discord.webhook')).toHaveLength(0);
  });
});
