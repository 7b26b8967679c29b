import { describe, expect, it } from '@jest/globals';
import { errorOf, jobOf, secretRef, type JobFixture } from '@nm/sender-kit/testing';
import { describeGooglechatDestination, googlechatTargetOf } from './googlechat.target.js';

const secrets = { 'nm-system/chat': { url: 'https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t' } };
const job = (fx: JobFixture) => jobOf('googlechat', { secrets, ...fx });

describe('googlechatTargetOf', () => {
  it('resolves the space webhook URL and needs no Config', () => {
    expect(googlechatTargetOf(job({ section: { webhook: secretRef('chat', 'url') } }))).toEqual({ webhookUrl: 'https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t' });
    expect(describeGooglechatDestination()).toBe('webhook');
  });

  it('refuses permanently a missing Secret, an empty or non-http webhook', () => {
    expect(errorOf(() => googlechatTargetOf(job({ section: { webhook: secretRef('nope', 'url') } })))).toMatchObject({ message: 'receiver ops: secret nm-system/nope not found' });
    expect(errorOf(() => googlechatTargetOf(job({ section: { webhook: { value: ' ' } } })))).toMatchObject({ code: 'googlechat:no-webhook' });
    expect(errorOf(() => googlechatTargetOf(job({ section: { webhook: { value: 'mailto:x@y' } } })))).toMatchObject({ code: 'googlechat:invalid-webhook' });
  });
});
