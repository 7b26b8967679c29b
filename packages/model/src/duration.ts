import { InvalidDurationError } from './errors.js';

/** Milliseconds per unit of Go's `time.ParseDuration`. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a duration into milliseconds.
 *
 * - strings use Go's `time.ParseDuration` syntax: a sequence of decimal numbers with units
 *   (`"1m"`, `"6s"`, `"1h30m"`, `"500ms"`, `"1.5h"`); `"0"` alone needs no unit;
 * - numbers are integer **nanoseconds**, because the upstream CRD types several durations
 *   (`tokenExpires`, throttle `unit`) as int64 `time.Duration`.
 *
 * Negative durations are rejected: no field of this model gives them a meaning.
 * The result may have a fractional part (`"1500us"` → 1.5).
 * @throws InvalidDurationError
 */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new InvalidDurationError(v, 'a number must be integer nanoseconds');
    if (v < 0) throw new InvalidDurationError(v, 'negative');
    return v / 1e6;
  }
  if (typeof v !== 'string') throw new InvalidDurationError(v, 'not a string or number');
  let s = v.trim();
  if (s.startsWith('-')) throw new InvalidDurationError(v, 'negative');
  if (s.startsWith('+')) s = s.slice(1);
  if (s === '0') return 0;
  if (s === '') throw new InvalidDurationError(v, 'empty');
  let total = 0;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < s.length) {
    const m = TERM.exec(s);
    if (!m) throw new InvalidDurationError(v, 'expected <number><unit> terms with units ns, us, ms, s, m, h');
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  if (!Number.isFinite(total)) throw new InvalidDurationError(v, 'out of range');
  return total;
}
