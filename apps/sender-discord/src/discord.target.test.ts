import { describe, expect, it } from '@jest/globals';
import { describeDiscordDestination, discordTargetOf } from './discord.target.js';
import { errorOf, jobOf, secretRef, type JobFixture } from '@nm/sender-kit/testing';

const HOOK = 'https://discord.com/api/webhooks/1122/s3cret-token';
const secrets = { 'nm-system/discord': { hook: HOOK } };
const job = (section: Record<string, unknown>, fx: Partial<JobFixture> = {}) => jobOf('discord', { secrets, section, ...fx });
const alert = { id: 'a1', status: 'firing' as const, labels: { alertname: 'DiskFull' }, annotations: { message: 'disk full' }, startsAt: '2024-05-14T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: 'f1', receivedAt: '2024-05-14T10:00:01Z' };

describe('discordTargetOf', () => {
  it('posts to the resolved webhook, content by default, with the Receiver mentions; needs no Config', () => {
    const j = job({ webhook: secretRef('discord', 'hook'), mentionedUsers: ['80351110224678912', 'everyone'], mentionedRoles: [' 42 '] });
    expect(discordTargetOf(j)).toEqual({ webhookUrl: HOOK, type: 'content', mentionedUsers: ['80351110224678912', 'everyone'], mentionedRoles: ['42'] });
    expect(discordTargetOf(job({ webhook: { value: HOOK }, type: 'embed' }))).toEqual({ webhookUrl: HOOK, type: 'embed' });
    expect(describeDiscordDestination()).toBe('webhook');
  });

  it('a Receiver without template renders the default text instead of failing', () => {
    const j = job({ webhook: { value: HOOK } });
    expect(j.section.template).toBeUndefined();
    const rendered = j.render([alert]);
    expect(rendered.body).toContain('disk full');
    expect(rendered.body).toContain('DiskFull');
  });

  it('refuses permanently: an empty or malformed webhook, an unknown type, mentions that are not ids', () => {
    expect(errorOf(() => discordTargetOf(job({ webhook: { value: ' ' } })))).toMatchObject({ message: 'receiver ops: discord.webhook is empty', code: 'discord:no-webhook' });
    expect(errorOf(() => discordTargetOf(job({ webhook: { value: 'not a url' } })))).toMatchObject({ code: 'discord:invalid-webhook' });
    expect(errorOf(() => discordTargetOf(job({ webhook: { value: 'ftp://x/y' } })))).toMatchObject({ message: 'receiver ops: discord.webhook must be an http(s) URL' });
    expect(errorOf(() => discordTargetOf(job({ webhook: { value: HOOK }, type: 'card' })))).toMatchObject({
      message: 'receiver ops: discord.type must be content or embed, not "card"',
      code: 'discord:invalid-type',
    });
    expect(errorOf(() => discordTargetOf(job({ webhook: { value: HOOK }, mentionedUsers: ['@alice'] })))).toMatchObject({
      message: 'receiver ops: discord.mentionedUsers[0] must be a user id, everyone or here',
      code: 'discord:invalid-mention',
    });
    expect(errorOf(() => discordTargetOf(job({ webhook: { value: HOOK }, mentionedRoles: ['ops'] })))).toMatchObject({ code: 'discord:invalid-mention' });
    expect(errorOf(() => discordTargetOf(job({ webhook: secretRef('nope', 'k') })))).toMatchObject({ message: 'receiver ops: secret nm-system/nope not found' });
  });

  it('maps options.discord.notificationTimeout (seconds) to timeoutMs', () => {
    expect(discordTargetOf(job({ webhook: { value: HOOK } }, { options: { discord: { notificationTimeout: 2 } } })).timeoutMs).toBe(2000);
  });
});
