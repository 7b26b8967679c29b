import { describe, expect, it } from '@jest/globals';
import { fromSubjectToken, isPipelineSubject, subjectToken, GLOBAL_TENANT, subjects } from './index.js';

describe('subjectToken', () => {
  it.each(['kube-system', 'alice', 'a.b', 'user@example.com', 'ns with space', '租户', '_x', '*', '>'])(
    'round-trips %s and yields one valid token',
    (v) => {
      const t = subjectToken(v);
      expect(t).toMatch(/^[A-Za-z0-9_~-]+$/);
      expect(fromSubjectToken(t)).toBe(v);
    },
  );
  it('gives the global tenant a short token', () => {
    expect(subjects.history(GLOBAL_TENANT, 'webhook')).toBe('nm.history._global.webhook');
  });
});

describe('isPipelineSubject', () => {
  it.each([
    ['nm.alerts.ingested', true],
    ['nm.alerts.routed', true],
    ['nm.notify.webhook', true],
    ['nm.notify.carrierpigeon', false],
    ['nm.dlq.router', false],
    ['nm.history._global.webhook', false],
    ['other.subject', false],
  ])('%s → %s', (s, expected) => {
    expect(isPipelineSubject(s)).toBe(expected);
  });
});
