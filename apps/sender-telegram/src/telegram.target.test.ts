import { describe, expect, it } from '@jest/globals';
import { describeTelegramDestination, telegramTargetOf } from './telegram.target.js';
import { errorOf, jobOf, secretRef, type JobFixture } from '@nm/sender-kit/testing';

const secrets = { 'nm-system/telegram': { token: '123456:AAE-bot' } };
const configs = [{ name: 'default-telegram', section: { telegramTokenSecret: secretRef('telegram', 'token') } }];
const job = (section: Record<string, unknown>, fx: Partial<JobFixture> = {}) => jobOf('telegram', { secrets, configs, section, ...fx });
const alert = { id: 'a1', status: 'firing' as const, labels: { alertname: 'DiskFull' }, annotations: { message: 'disk full' }, startsAt: '2024-05-14T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: 'f1', receivedAt: '2024-05-14T10:00:01Z' };

describe('telegramTargetOf', () => {
  it('sends to every chat with the Config bot token and the mentioned users', () => {
    const j = job({ channels: ['@ops', ' -1001234 ', ''], mentionedUsers: ['alice'] });
    expect(telegramTargetOf(j)).toEqual({ token: '123456:AAE-bot', channels: ['@ops', '-1001234'], mentionedUsers: ['alice'] });
    expect(describeTelegramDestination(j)).toBe('@ops, -1001234');
  });

  it('uses the tenant Config picked by telegramConfigSelector', () => {
    const j = job(
      { channels: ['@ops'], telegramConfigSelector: { matchLabels: { team: 'a' } } },
      {
        configs: [
          { name: 'default-telegram', section: { telegramTokenSecret: { value: '1:default' } } },
          { name: 'team-telegram', section: { telegramTokenSecret: { value: '2:team' } }, labels: { type: 'tenant', namespace: 'team-a', team: 'a' } },
        ],
      },
    );
    expect(telegramTargetOf(j).token).toBe('2:team');
  });

  it('a Receiver without template renders the default text instead of failing', () => {
    expect(job({ channels: ['@ops'] }).render([alert]).body).toContain('disk full');
  });

  it('refuses permanently: no chat, no Config, no token', () => {
    expect(errorOf(() => telegramTargetOf(job({ channels: [] })))).toMatchObject({ message: 'receiver ops: telegram.channels is empty', code: 'telegram:no-destination' });
    expect(errorOf(() => telegramTargetOf(job({ channels: ['@ops'] }, { configs: [] })))).toMatchObject({
      message: 'receiver ops: no Config with a telegram section qualifies (telegram needs telegramTokenSecret)',
      code: 'telegram:no-config',
    });
    expect(errorOf(() => telegramTargetOf(job({ channels: ['@ops'] }, { configs: [{ name: 'empty', section: {} }] })))).toMatchObject({
      message: 'receiver ops: Config empty has no telegram.telegramTokenSecret',
      code: 'telegram:no-token',
    });
  });
});
