import { describe, expect, it } from '@jest/globals';
import { errorOf, jobOf, secretRef, type JobFixture } from '@nm/sender-kit/testing';
import { describePagerdutyDestination, pagerdutyTargetOf } from './pagerduty.target.js';

const secrets = { 'nm-system/pagerduty': { key: 'R0UT1NGKEY0000000000000000000001' } };
const job = (fx: JobFixture) => jobOf('pagerduty', { secrets, ...fx });

describe('pagerdutyTargetOf', () => {
  it('resolves the routing key, takes the group key as dedup key and the optional event fields', () => {
    const j = job({ section: { routingKey: secretRef('pagerduty', 'key'), severity: 'Warning', source: ' prod-eu ', component: 'kubelet', clientURL: 'https://nm.example/', group: '' } });
    expect(pagerdutyTargetOf(j)).toEqual({
      routingKey: 'R0UT1NGKEY0000000000000000000001',
      groupKey: '{}:{alertname="Watchdog"}',
      severity: 'warning',
      source: 'prod-eu',
      component: 'kubelet',
      clientURL: 'https://nm.example/',
    });
    expect(describePagerdutyDestination(j)).toBe('pagerduty {}:{alertname="Watchdog"}');
    expect(JSON.stringify(describePagerdutyDestination(j))).not.toContain('R0UT1NG');
  });

  it('needs no Config and uses options.pagerduty.notificationTimeout', () => {
    expect(pagerdutyTargetOf(job({ section: { routingKey: { value: 'k' } }, options: { pagerduty: { notificationTimeout: 4 } } }))).toEqual({
      routingKey: 'k',
      groupKey: '{}:{alertname="Watchdog"}',
      timeoutMs: 4000,
    });
  });

  it('refuses permanently: an empty or missing routing key, an unknown severity', () => {
    expect(errorOf(() => pagerdutyTargetOf(job({ section: { routingKey: { value: ' ' } } })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: pagerduty.routingKey is empty',
      code: 'pagerduty:no-routing-key',
    });
    expect(errorOf(() => pagerdutyTargetOf(job({ section: { routingKey: secretRef('pagerduty', 'nope') } })))).toMatchObject({ name: 'PermanentError' });
    expect(errorOf(() => pagerdutyTargetOf(job({ section: { routingKey: { value: 'k' }, severity: 'sev1' } })))).toMatchObject({
      message: 'receiver ops: pagerduty.severity must be one of critical, error, warning, info, not "sev1"',
      code: 'pagerduty:invalid-severity',
    });
  });
});
