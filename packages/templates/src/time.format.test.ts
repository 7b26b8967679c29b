import { describe, expect, it } from '@jest/globals';
import { formatTimestamp, isValidTimeZone } from './time.format.js';

describe('formatTimestamp', () => {
  it.each([
    ['2020-02-26T07:05:04.989876849Z', 'UTC', '2020-02-26 07:05:04 UTC'],
    ['2020-02-26T07:05:04Z', 'Asia/Shanghai', '2020-02-26 15:05:04 +08:00'],
    ['2020-02-26T07:05:04Z', 'Asia/Kolkata', '2020-02-26 12:35:04 +05:30'],
    ['2024-03-31T00:59:59Z', 'Europe/Berlin', '2024-03-31 01:59:59 +01:00'],
    ['2024-03-31T01:00:00Z', 'Europe/Berlin', '2024-03-31 03:00:00 +02:00'],
    ['2024-12-31T23:30:00-05:00', 'UTC', '2025-01-01 04:30:00 UTC'],
    ['0001-01-01T00:00:00Z', 'UTC', ''],
    ['', 'UTC', ''],
    ['not a time', 'UTC', ''],
  ])('%s in %s → %j', (value, zone, expected) => {
    expect(formatTimestamp(value, zone)).toBe(expected);
  });

  it('knows IANA zones', () => {
    expect(isValidTimeZone('Asia/Shanghai')).toBe(true);
    expect(isValidTimeZone('Nowhere/Land')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
