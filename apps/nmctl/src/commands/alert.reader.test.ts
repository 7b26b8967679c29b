import { describe, expect, it } from '@jest/globals';
import { alertsOf } from './alert.reader.js';
import { CliError } from '../errors.js';

describe('alertsOf', () => {
  it('reads one alert, an array of alerts and an Alertmanager payload', () => {
    const alert = { labels: { alertname: 'A' }, annotations: { message: 'm' }, status: 'firing', startsAt: 'x' };
    expect(alertsOf(alert, 'f')).toEqual([{ labels: { alertname: 'A' }, annotations: { message: 'm' }, status: 'firing' }]);
    expect(alertsOf([alert, { labels: {} }], 'f')).toEqual([
      { labels: { alertname: 'A' }, annotations: { message: 'm' }, status: 'firing' },
      { labels: {} },
    ]);
    expect(alertsOf({ status: 'firing', alerts: [{ labels: { a: 'b' }, status: 'resolved' }] }, 'f')).toEqual([{ labels: { a: 'b' }, status: 'resolved' }]);
  });

  it.each([
    [{ foo: 1 }, 'f: expected an alert ({"labels": {...}}), an array of alerts, or an Alertmanager webhook payload ({"alerts": [...]})'],
    [[{ annotations: {} }], 'f: [0] has no labels'],
    [{ alerts: [{ labels: { a: 'b' } }, { labels: { n: 1 } }] }, 'f: alerts[1].labels.n must be a string, not 1'],
    [{ labels: { a: 'b' }, status: 'pending' }, 'f: the alert.status must be "firing" or "resolved", not "pending"'],
    ['text', 'f: expected an alert'],
  ])('rejects %j', (value, message) => {
    let thrown: unknown;
    try {
      alertsOf(value, 'f');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).code).toBe('INPUT');
    expect((thrown as CliError).message.startsWith(message)).toBe(true);
  });
});
