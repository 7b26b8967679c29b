import { describe, expect, it } from '@jest/globals';
import { parseDuration } from './duration.js';
import { InvalidDurationError } from './errors.js';

describe('parseDuration', () => {
  it.each<[string | number, number]>([
    ['1m', 60_000],
    ['6s', 6_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['0', 0],
    ['0s', 0],
    ['+2s', 2000],
    ['1h1m1s1ms', 3_661_001],
    [7_200_000_000_000, 7_200_000],
    [0, 0],
  ])('%p → %p ms', (input, ms) => {
    expect(parseDuration(input)).toBeCloseTo(ms, 9);
  });

  it.each<[unknown]>([[''], ['1'], ['m'], ['1d'], ['1 m'], ['-1s'], ['1m-'], ['abc'], [1.5], [-5], ['1.2.3s'], [Number.NaN]])(
    'rejects %p with InvalidDurationError',
    (input) => {
      expect(() => parseDuration(input as string)).toThrow(InvalidDurationError);
      try {
        parseDuration(input as string);
      } catch (e) {
        expect((e as InvalidDurationError).code).toBe('INVALID_DURATION');
      }
    },
  );
});
