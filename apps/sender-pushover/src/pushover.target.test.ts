import { describe, expect, it } from '@jest/globals';
import { describePushoverDestination, pushoverTargetOf } from './pushover.target.js';
import { errorOf, jobOf, secretRef, type JobFixture } from '@nm/sender-kit/testing';

const ALICE = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
const BOB = 'gznej3rKEVAvPUxu9vvNnqpmZpokzF';
const secrets = { 'nm-system/pushover': { token: 'azGDORePK8gMaC0QOYAMyEEuzJnyUi' } };
const configs = [{ name: 'default-pushover', section: { pushoverTokenSecret: secretRef('pushover', 'token') } }];
const job = (fx: Partial<JobFixture> & Pick<JobFixture, 'section'>) => jobOf('pushover', { secrets, configs, ...fx });

describe('pushoverTargetOf', () => {
  it('sends every profile with the Config token: devices, sound, priority and the deprecated title', () => {
    const j = job({
      section: { profiles: [{ userKey: ALICE, devices: ['iphone', ' '], sound: 'siren', priority: 2 }, { userKey: BOB, title: 'fixed' }] },
    });
    expect(pushoverTargetOf(j)).toEqual({
      token: 'azGDORePK8gMaC0QOYAMyEEuzJnyUi',
      profiles: [
        { userKey: ALICE, devices: ['iphone'], sound: 'siren', priority: 2 },
        { userKey: BOB, title: 'fixed' },
      ],
    });
    expect(describePushoverDestination(j)).toBe('uQiRz…(iphone), gznej…');
  });

  it('renders a title per message from titleTemplate (nm.default.subject by default)', () => {
    const j = job({ section: { profiles: [{ userKey: ALICE }] } });
    const alert = { id: 'a1', status: 'firing' as const, labels: { alertname: 'DiskFull' }, annotations: { message: 'disk full' }, startsAt: '2024-05-14T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: 'f1', receivedAt: '2024-05-14T10:00:01Z' };
    const rendered = j.render([alert]);
    expect(rendered.title).toBe('[FIRING] disk full');
    expect(rendered.body).toContain('DiskFull');
  });

  it('refuses permanently: no profile, a malformed key or priority, no Config, no token', () => {
    expect(errorOf(() => pushoverTargetOf(job({ section: { profiles: [] } })))).toMatchObject({
      message: 'receiver ops: pushover.profiles is empty',
      code: 'pushover:no-destination',
    });
    expect(errorOf(() => pushoverTargetOf(job({ section: { profiles: [{ userKey: 'short' }] } })))).toMatchObject({
      message: 'receiver ops: pushover.profiles[0].userKey must be 30 letters or digits',
      code: 'pushover:invalid-profile',
    });
    expect(errorOf(() => pushoverTargetOf(job({ section: { profiles: [{ userKey: ALICE, priority: 3 }] } })))).toMatchObject({
      code: 'pushover:invalid-profile',
    });
    expect(errorOf(() => pushoverTargetOf(job({ section: { profiles: [{ userKey: ALICE }] }, configs: [] })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: no Config with a pushover section qualifies (pushover needs pushoverTokenSecret)',
      code: 'pushover:no-config',
    });
    expect(errorOf(() => pushoverTargetOf(job({ section: { profiles: [{ userKey: ALICE }] }, configs: [{ name: 'empty', section: {} }] })))).toMatchObject({
      message: 'receiver ops: Config empty has no pushover.pushoverTokenSecret',
      code: 'pushover:no-token',
    });
  });

  it('maps options.pushover.notificationTimeout (seconds) to timeoutMs', () => {
    expect(pushoverTargetOf(job({ section: { profiles: [{ userKey: ALICE }] }, options: { pushover: { notificationTimeout: 3 } } })).timeoutMs).toBe(3000);
  });
});
