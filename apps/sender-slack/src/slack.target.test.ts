import { describe, expect, it } from '@jest/globals';
import { describeSlackDestination, slackTargetOf } from './slack.target.js';
import { errorOf, jobOf, secretRef, type JobFixture } from '@nm/sender-kit/testing';

const secrets = { 'nm-system/slack': { token: 'xoxb-1', hook: 'https://hooks.slack.com/services/T1/B1/s3cret' } };
const job = (fx: JobFixture) => jobOf('slack', { secrets, ...fx });

describe('slackTargetOf', () => {
  it('posts the channels with the Config token and the webhook extension with its resolved URL', () => {
    const j = job({
      section: { channels: ['#alerts', ' C123 ', ''], webhook: secretRef('slack', 'hook') },
      configs: [{ name: 'default-slack', section: { slackTokenSecret: secretRef('slack', 'token') } }],
    });
    expect(slackTargetOf(j)).toEqual({ token: 'xoxb-1', channels: ['#alerts', 'C123'], webhookUrl: 'https://hooks.slack.com/services/T1/B1/s3cret' });
    expect(describeSlackDestination(j)).toBe('#alerts, C123, webhook');
  });

  it('needs no Config for a webhook alone', () => {
    expect(slackTargetOf(job({ section: { channels: [], webhook: { value: 'https://hooks.example/x' } } }))).toEqual({
      channels: [],
      webhookUrl: 'https://hooks.example/x',
    });
  });

  it('uses the tenant Config picked by slackConfigSelector', () => {
    const j = job({
      section: { channels: ['#a'], slackConfigSelector: { matchLabels: { team: 'a' } } },
      configs: [
        { name: 'default-slack', section: { slackTokenSecret: { value: 'xoxb-default' } } },
        { name: 'team-slack', section: { slackTokenSecret: { value: 'xoxb-team' } }, labels: { type: 'tenant', namespace: 'team-a', team: 'a' } },
      ],
    });
    expect(slackTargetOf(j).token).toBe('xoxb-team');
  });

  it('refuses permanently: channels without a Config or token, nothing to post to, a malformed webhook', () => {
    expect(errorOf(() => slackTargetOf(job({ section: { channels: ['#a'] } })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: no Config with a slack section qualifies (slack channels need slackTokenSecret)',
      code: 'slack:no-config',
    });
    expect(errorOf(() => slackTargetOf(job({ section: { channels: ['#a'] }, configs: [{ name: 'empty', section: {} }] })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: Config empty has no slack.slackTokenSecret',
      code: 'slack:no-token',
    });
    expect(errorOf(() => slackTargetOf(job({ section: { channels: [] } })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: slack names neither channels nor a webhook',
    });
    expect(errorOf(() => slackTargetOf(job({ section: { channels: [], webhook: 'https://hooks.example/x' } })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: slack.webhook must be a Credential (value or valueFrom.secretKeyRef)',
    });
    expect(errorOf(() => slackTargetOf(job({ section: { channels: [], webhook: secretRef('nope', 'k') } })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: secret nm-system/nope not found',
    });
  });

  it('maps options.slack.notificationTimeout (seconds) to the per-request timeoutMs', () => {
    const section = { channels: [], webhook: { value: 'https://hooks.example/x' } };
    expect(slackTargetOf(job({ section, options: { slack: { notificationTimeout: 2 } } })).timeoutMs).toBe(2000);
    expect(slackTargetOf(job({ section }))).not.toHaveProperty('timeoutMs');
  });
});
