import { describe, expect, it } from '@jest/globals';
import { errorOf, jobOf, secretRef, type JobFixture } from '@nm/sender-kit/testing';
import { describeOpsgenieDestination, opsgenieTargetOf } from './opsgenie.target.js';

const secrets = { 'nm-system/opsgenie': { key: 'og-key-1' } };
const job = (fx: JobFixture) => jobOf('opsgenie', { secrets, ...fx });
const configs = [{ name: 'default-opsgenie', section: { apiKey: secretRef('opsgenie', 'key') } }];

describe('opsgenieTargetOf', () => {
  it('takes the API key from the Config, the alias from the group key, and the Receiver fields', () => {
    const j = job({
      section: { responders: [{ type: 'team', name: ' ops ' }, { type: 'User', username: 'a@example.com' }], tags: ['k8s', ''], priority: 'p2', entity: 'node-1', source: 'prod' },
      configs,
    });
    expect(opsgenieTargetOf(j)).toEqual({
      apiKey: 'og-key-1',
      groupKey: '{}:{alertname="Watchdog"}',
      responders: [{ type: 'team', name: 'ops' }, { type: 'user', username: 'a@example.com' }],
      tags: ['k8s'],
      priority: 'P2',
      entity: 'node-1',
      source: 'prod',
    });
    expect(describeOpsgenieDestination(j)).toBe('opsgenie {}:{alertname="Watchdog"}');
  });

  it('uses options.opsgenie.notificationTimeout', () => {
    expect(opsgenieTargetOf(job({ section: {}, configs, options: { opsgenie: { notificationTimeout: 3 } } })).timeoutMs).toBe(3000);
  });

  it('refuses permanently: no Config, a Config without apiKey, a bad priority or responder', () => {
    expect(errorOf(() => opsgenieTargetOf(job({ section: {} })))).toMatchObject({
      name: 'PermanentError',
      message: 'receiver ops: no Config with an opsgenie section qualifies (opsgenie needs apiKey)',
      code: 'opsgenie:no-config',
    });
    expect(errorOf(() => opsgenieTargetOf(job({ section: {}, configs: [{ name: 'empty', section: {} }] })))).toMatchObject({
      message: 'receiver ops: Config empty has no opsgenie.apiKey',
      code: 'opsgenie:no-api-key',
    });
    expect(errorOf(() => opsgenieTargetOf(job({ section: { priority: 'urgent' }, configs })))).toMatchObject({
      message: 'receiver ops: opsgenie.priority must be one of P1, P2, P3, P4, P5, not "urgent"',
      code: 'opsgenie:invalid-priority',
    });
    expect(errorOf(() => opsgenieTargetOf(job({ section: { responders: [{ type: 'team' }] }, configs })))).toMatchObject({
      message: 'receiver ops: opsgenie.responders[0] needs an id, name or username',
    });
    expect(errorOf(() => opsgenieTargetOf(job({ section: {}, configs: [{ name: 'c', section: { apiKey: secretRef('missing', 'key') } }] })))).toMatchObject({
      message: 'receiver ops: secret nm-system/missing not found',
    });
  });
});
