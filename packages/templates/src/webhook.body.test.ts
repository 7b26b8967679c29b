import { describe, expect, it } from '@jest/globals';
import { webhookBody } from './webhook.body.js';

const when = new Date('2024-07-01T00:00:00Z');

describe('webhookBody', () => {
  const firing = {
    id: 'id-1',
    status: 'firing',
    labels: { alertname: 'A', pod: 'p1' },
    annotations: { message: 'm' },
    startsAt: '2024-07-01T00:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://p',
    fingerprint: '0123456789abcdef',
    receivedAt: '2024-07-01T00:00:01Z',
    value: '42',
  };

  it("builds Alertmanager's v4 body with notification-manager's per-alert fields", () => {
    expect(webhookBody({ alerts: [firing], groupLabels: { alertname: 'A' }, receiver: { name: 'hook' }, externalURL: 'http://am', groupKey: 'gk', notificationTime: when })).toEqual({
      receiver: 'hook',
      status: 'firing',
      alerts: [
        {
          id: 'id-1',
          status: 'firing',
          labels: { alertname: 'A', pod: 'p1' },
          annotations: { message: 'm' },
          startsAt: '2024-07-01T00:00:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://p',
          fingerprint: '0123456789abcdef',
          notificationTime: '2024-07-01T00:00:00.000Z',
          value: '42',
        },
      ],
      groupLabels: { alertname: 'A' },
      commonLabels: { alertname: 'A', pod: 'p1' },
      commonAnnotations: { message: 'm' },
      externalURL: 'http://am',
      version: '4',
      groupKey: 'gk',
      truncatedAlerts: 0,
    });
  });

  it('is resolved only when every alert is, and fills absent fields', () => {
    const resolved = { status: 'resolved', labels: { alertname: 'A', pod: 'p2' }, annotations: {}, startsAt: 's', endsAt: 'e' };
    const body = webhookBody({ alerts: [resolved], groupLabels: {}, receiver: { name: 'hook' }, notificationTime: when, truncatedAlerts: 3 });
    expect(body.status).toBe('resolved');
    expect(body.alerts[0]).toMatchObject({ id: '', generatorURL: '', fingerprint: '' });
    expect([body.externalURL, body.groupKey, body.truncatedAlerts]).toEqual(['', '{}:{}', 3]);
    const both = webhookBody({ alerts: [resolved, firing], groupLabels: {}, receiver: { name: 'hook' } });
    expect(both.status).toBe('firing');
    expect(both.commonLabels).toEqual({ alertname: 'A' });
  });

  it('never carries the internal receive time', () => {
    const json = JSON.stringify(webhookBody({ alerts: [firing], groupLabels: {}, receiver: { name: 'hook' } }));
    expect(json).not.toContain('receivedAt');
  });
});
