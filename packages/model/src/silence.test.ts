import { describe, expect, it } from '@jest/globals';
import type { Silence } from './crd/silence.schema.js';
import { InvalidScheduleError } from './errors.js';
import { isSilenceActive, parseRfc3339, silencesMatching } from './silence.js';
import { firedWithin, parseSchedule } from './silence.schedule.js';
import { global, silence } from './test-support/builders.js';

const at = (iso: string): Date => new Date(iso);

describe('isSilenceActive', () => {
  const nightly = silence('nightly', global, { schedule: '0 22 * * *', duration: '8h' });
  it.each<[string, Silence, string, string | undefined, boolean]>([
    ['disabled is never active', silence('s', global, { enabled: false }), '2024-01-01T00:00:00Z', undefined, false],
    ['nothing set: always active', silence('s', global, {}), '2024-01-01T00:00:00Z', undefined, true],
    ['duration alone: always active', silence('s', global, { duration: '1h' }), '2024-01-01T00:00:00Z', undefined, true],
    ['before startsAt', silence('s', global, { startsAt: '2024-01-01T10:00:00Z' }), '2024-01-01T09:59:59Z', undefined, false],
    ['at startsAt', silence('s', global, { startsAt: '2024-01-01T10:00:00Z' }), '2024-01-01T10:00:00Z', undefined, true],
    ['startsAt without duration: forever', silence('s', global, { startsAt: '2024-01-01T10:00:00Z' }), '2030-01-01T00:00:00Z', undefined, true],
    ['startsAt + duration: inside', silence('s', global, { startsAt: '2024-01-01T10:00:00+02:00', duration: '1h' }), '2024-01-01T08:59:00Z', undefined, true],
    ['startsAt + duration: at end', silence('s', global, { startsAt: '2024-01-01T10:00:00Z', duration: '1h' }), '2024-01-01T11:00:00Z', undefined, false],
    ['schedule without duration: always', silence('s', global, { schedule: '0 22 * * *' }), '2024-01-01T12:00:00Z', 'UTC', true],
    ['schedule ignores startsAt', silence('s', global, { schedule: '0 22 * * *', duration: '1h', startsAt: '2099-01-01T00:00:00Z' }), '2024-01-01T22:30:00Z', 'UTC', true],
    ['cron UTC: inside window', nightly, '2024-01-02T05:59:00Z', 'UTC', true],
    ['cron UTC: at firing', nightly, '2024-01-01T22:00:00Z', 'UTC', true],
    ['cron UTC: window end is exclusive', nightly, '2024-01-02T06:00:00Z', 'UTC', false],
    ['cron UTC: before firing', nightly, '2024-01-01T21:59:59Z', 'UTC', false],
    ['cron Asia/Shanghai: 22:00 local = 14:00Z', nightly, '2024-01-01T14:00:00Z', 'Asia/Shanghai', true],
    ['cron Asia/Shanghai: 13:59Z is 21:59 local', nightly, '2024-01-01T13:59:00Z', 'Asia/Shanghai', false],
    ['cron Asia/Shanghai: 21:59Z is 05:59 local', nightly, '2024-01-01T21:59:00Z', 'Asia/Shanghai', true],
    ['cron Asia/Shanghai: 22:00Z is 06:00 local', nightly, '2024-01-01T22:00:00Z', 'Asia/Shanghai', false],
    ['CRON_TZ prefix overrides the zone', silence('s', global, { schedule: 'CRON_TZ=Asia/Shanghai 0 22 * * *', duration: '8h' }), '2024-01-01T14:30:00Z', 'UTC', true],
    ['@daily with 1h', silence('s', global, { schedule: '@daily', duration: '1h' }), '2024-01-01T00:30:00Z', 'UTC', true],
    ['@daily with 1h, later', silence('s', global, { schedule: '@daily', duration: '1h' }), '2024-01-01T01:30:00Z', 'UTC', false],
    ['@hourly with 10m', silence('s', global, { schedule: '@hourly', duration: '10m' }), '2024-01-01T07:05:00Z', 'UTC', true],
    ['weekday schedule on a Saturday', silence('s', global, { schedule: '0 9 * * 1-5', duration: '9h' }), '2024-01-06T10:00:00Z', 'UTC', false],
    ['weekday schedule on a Monday', silence('s', global, { schedule: '0 9 * * 1-5', duration: '9h' }), '2024-01-08T10:00:00Z', 'UTC', true],
    ['duration in nanoseconds', silence('s', global, { schedule: '0 22 * * *', duration: 3_600_000_000_000 }), '2024-01-01T22:59:00Z', 'UTC', true],
    ['invalid schedule is inactive', silence('s', global, { schedule: 'not cron', duration: '1h' }), '2024-01-01T00:00:00Z', 'UTC', false],
    ['invalid startsAt is inactive', silence('s', global, { startsAt: 'yesterday' }), '2024-01-01T00:00:00Z', undefined, false],
  ])('%s', (_n, s, now, tz, expected) => {
    expect(isSilenceActive(s, at(now), tz)).toBe(expected);
  });
});

describe('parseSchedule', () => {
  it.each(['0 22 * * *', '*/5 * * * *', '0 0 ? * MON', '@daily', '@midnight', '@weekly', '@yearly', '@annually', '@monthly', '@hourly', '@every 1h30m', 'TZ=Europe/Berlin 0 8 * * *'])(
    'accepts %s',
    (s) => {
      expect(() => parseSchedule(s)).not.toThrow();
    },
  );
  it.each(['', '* * * *', '0 0 22 * * *', '61 * * * *', '@often', '@every soon', 'CRON_TZ=Mars/Olympus 0 0 * * *', 'x y z a b'])('rejects %p', (s) => {
    expect(() => parseSchedule(s)).toThrow(InvalidScheduleError);
  });
  it('treats @every X as active iff X <= duration (upstream Next semantics)', () => {
    const every = parseSchedule('@every 30m');
    expect(firedWithin(every, at('2024-01-01T00:00:00Z'), 3_600_000)).toBe(true);
    expect(firedWithin(every, at('2024-01-01T00:00:00Z'), 60_000)).toBe(false);
  });
});

describe('parseRfc3339', () => {
  it.each([
    ['2024-01-01T10:00:00Z', '2024-01-01T10:00:00.000Z'],
    ['2024-01-01T10:00:00.5+01:00', '2024-01-01T09:00:00.500Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('%s', (input, iso) => {
    expect(parseRfc3339(input)?.toISOString()).toBe(iso);
  });
  it.each(['2024-01-01', '2024-01-01 10:00:00Z', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T10:00:00', 'now'])(
    'rejects %p',
    (input) => {
      expect(parseRfc3339(input)).toBeUndefined();
    },
  );
});

describe('silencesMatching', () => {
  it('returns the active silences whose matcher matches', () => {
    const silences = [
      silence('crit', global, { matcher: { matchLabels: { severity: 'critical' } } }),
      silence('warn', global, { matcher: { matchLabels: { severity: 'warning' } } }),
      silence('off', global, { enabled: false, matcher: {} }),
      silence('regex', global, { matcher: { matchExpressions: [{ key: 'alertname', operator: 'Match', regexValue: 'Pod' }] } }),
    ];
    const names = silencesMatching({ severity: 'critical', alertname: 'KubePodNotReady' }, silences, at('2024-01-01T00:00:00Z')).map((s) => s.metadata.name);
    expect(names).toEqual(['crit', 'regex']);
  });
});
