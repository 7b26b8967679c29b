import { describe, expect, it } from '@jest/globals';
import { errorOf, jobOf, secretRef, type JobFixture } from '@nm/sender-kit/testing';
import { describeTeamsDestination, teamsTargetOf } from './teams.target.js';

const secrets = { 'nm-system/teams': { url: 'https://prod.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=s3cret' } };
const job = (fx: JobFixture) => jobOf('teams', { secrets, ...fx });

describe('teamsTargetOf', () => {
  it('resolves the webhook URL from its Secret and needs no Config', () => {
    expect(teamsTargetOf(job({ section: { webhook: secretRef('teams', 'url') }, options: { teams: { notificationTimeout: 2 } } }))).toEqual({
      webhookUrl: 'https://prod.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=s3cret',
      timeoutMs: 2000,
    });
    expect(describeTeamsDestination()).toBe('webhook');
  });

  it('refuses permanently an empty or non-http webhook without repeating it', () => {
    expect(errorOf(() => teamsTargetOf(job({ section: { webhook: { value: '' } } })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: teams.webhook is empty',
      code: 'teams:no-webhook',
    });
    expect(errorOf(() => teamsTargetOf(job({ section: { webhook: { value: 'teams.example/sig=abc' } } })))).toMatchObject({
      message: 'receiver ops: teams.webhook is not an http(s) URL',
      code: 'teams:invalid-webhook',
    });
  });
});
