import { GoObject, goType, P_STRING, typedParam, type GoFunc, type GoType, type GoValue } from './values.js';

/**
 * Go's `time.Time` as templates see it: `.StartsAt` prints as Go prints a time
 * (`2020-02-26 07:05:04.989876849 +0000 UTC`) and has the methods templates use: `Format` with
 * Go's reference layout (`"2006-01-02 15:04:05"`), `Local` (the configured time zone, as
 * notification-manager's `TZ`), `UTC`, `Unix`, `IsZero`, the field getters and comparisons.
 */

/** Seconds from 0001-01-01T00:00:00Z to the Unix epoch, negated (Go's zero time). */
const ZERO_UNIX = -62135596800;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

interface Civil {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday
  yday: number; // 1..366
}

function civil(unixSec: number): Civil {
  const d = new Date(unixSec * 1000);
  const year = d.getUTCFullYear();
  const start = new Date(0);
  start.setUTCFullYear(year, 0, 1);
  start.setUTCHours(0, 0, 0, 0);
  return {
    year,
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
    yday: Math.floor((d.getTime() - start.getTime()) / 86400000) + 1,
  };
}

function unixOfCivil(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime() / 1000;
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The offset (seconds east of UTC) and abbreviation of an IANA zone at an instant. */
function zoneAt(timeZone: string, unixSec: number): { offset: number; name: string } {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return { offset: 0, name: 'UTC' };
  let f = offsetFormatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    offsetFormatters.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(unixSec * 1000))) parts[p.type] = p.value;
  const wall = unixOfCivil(Number(parts['year']), Number(parts['month']), Number(parts['day']), Number(parts['hour']), Number(parts['minute']), Number(parts['second']));
  const offset = Math.round(wall - Math.floor(unixSec));
  const short = parts['timeZoneName'] ?? '';
  // Intl knows letter abbreviations only for some zones; Go then prints the numeric form.
  const name = /^[A-Z]{2,5}$/.test(short) && short !== 'GMT' ? short : offset === 0 ? 'UTC' : numericZone(offset, false);
  return { offset, name };
}

function numericZone(offset: number, alwaysMinutes: boolean): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  return sign + two(h) + (alwaysMinutes || m !== 0 ? two(m) : '');
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function padNum(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export class GoTime extends GoObject {
  constructor(
    /** Seconds since the Unix epoch. */
    readonly unix: number,
    /** Nanoseconds within the second, 0…999999999. */
    readonly nanos: number,
    /** Seconds east of UTC of the time's location. */
    readonly offset: number,
    /** The location's abbreviation (`UTC`), or empty for a fixed offset without a name. */
    readonly zone: string,
    /** The configured time zone (`Local`). */
    readonly localZone: string,
  ) {
    super();
  }

  get type(): GoType {
    return TIME_TYPE;
  }

  isZero(): boolean {
    return this.unix === ZERO_UNIX && this.nanos === 0;
  }

  in(timeZone: string): GoTime {
    if (timeZone === 'UTC') return new GoTime(this.unix, this.nanos, 0, 'UTC', this.localZone);
    const z = zoneAt(timeZone, this.unix);
    return new GoTime(this.unix, this.nanos, z.offset, z.name, this.localZone);
  }

  compare(other: GoTime): number {
    return this.unix !== other.unix ? Math.sign(this.unix - other.unix) : Math.sign(this.nanos - other.nanos);
  }

  override toString(): string {
    return this.format('2006-01-02 15:04:05.999999999 -0700 MST');
  }

  /** Go's `Time.Format` with its reference-time layout. */
  format(layout: string): string {
    const c = civil(this.unix + this.offset);
    let out = '';
    let i = 0;
    while (i < layout.length) {
      const m = matchStd(layout, i);
      if (m === undefined) {
        out += layout[i];
        i++;
        continue;
      }
      out += this.std(m.std, c, m.digits, m.sep);
      i += m.length;
    }
    return out;
  }

  private std(std: Std, c: Civil, digits: number, sep: string): string {
    switch (std) {
      case 'longMonth':
        return MONTHS[c.month - 1]!;
      case 'month':
        return MONTHS[c.month - 1]!.slice(0, 3);
      case 'numMonth':
        return String(c.month);
      case 'zeroMonth':
        return two(c.month);
      case 'longWeekDay':
        return DAYS[c.weekday]!;
      case 'weekDay':
        return DAYS[c.weekday]!.slice(0, 3);
      case 'day':
        return String(c.day);
      case 'underDay':
        return c.day < 10 ? ` ${c.day}` : String(c.day);
      case 'zeroDay':
        return two(c.day);
      case 'underYearDay':
        return String(c.yday).padStart(3, ' ');
      case 'zeroYearDay':
        return padNum(c.yday, 3);
      case 'hour':
        return two(c.hour);
      case 'hour12':
        return String(c.hour % 12 === 0 ? 12 : c.hour % 12);
      case 'zeroHour12':
        return two(c.hour % 12 === 0 ? 12 : c.hour % 12);
      case 'minute':
        return String(c.minute);
      case 'zeroMinute':
        return two(c.minute);
      case 'second':
        return String(c.second);
      case 'zeroSecond':
        return two(c.second);
      case 'longYear':
        return padNum(c.year, 4);
      case 'year':
        return two(c.year % 100);
      case 'PM':
        return c.hour >= 12 ? 'PM' : 'AM';
      case 'pm':
        return c.hour >= 12 ? 'pm' : 'am';
      case 'tz':
        return this.zone !== '' ? this.zone : numericZone(this.offset, true);
      case 'fracFixed':
        return sep + padNum(this.nanos, 9).slice(0, digits);
      case 'fracTrim': {
        const frac = padNum(this.nanos, 9).slice(0, digits).replace(/0+$/, '');
        return frac === '' ? '' : sep + frac;
      }
      default:
        return this.numTz(std);
    }
  }

  private numTz(std: Std): string {
    const iso = std.startsWith('iso');
    if (iso && this.offset === 0) return 'Z';
    const sign = this.offset < 0 ? '-' : '+';
    const a = Math.abs(this.offset);
    const hh = two(Math.floor(a / 3600));
    const mm = two(Math.floor((a % 3600) / 60));
    const ss = two(a % 60);
    switch (std) {
      case 'numTZ':
      case 'isoTZ':
        return sign + hh + mm;
      case 'numColonTZ':
      case 'isoColonTZ':
        return `${sign}${hh}:${mm}`;
      case 'numShortTZ':
      case 'isoShortTZ':
        return sign + hh;
      case 'numSecondsTZ':
      case 'isoSecondsTZ':
        return sign + hh + mm + ss;
      default:
        return `${sign}${hh}:${mm}:${ss}`;
    }
  }
}

type Std =
  | 'longMonth' | 'month' | 'numMonth' | 'zeroMonth' | 'longWeekDay' | 'weekDay' | 'day' | 'underDay' | 'zeroDay'
  | 'underYearDay' | 'zeroYearDay' | 'hour' | 'hour12' | 'zeroHour12' | 'minute' | 'zeroMinute' | 'second' | 'zeroSecond'
  | 'longYear' | 'year' | 'PM' | 'pm' | 'tz' | 'fracFixed' | 'fracTrim'
  | 'numTZ' | 'numColonTZ' | 'numShortTZ' | 'numSecondsTZ' | 'numColonSecondsTZ'
  | 'isoTZ' | 'isoColonTZ' | 'isoShortTZ' | 'isoSecondsTZ' | 'isoColonSecondsTZ';

interface StdMatch {
  readonly std: Std;
  readonly length: number;
  readonly digits: number;
  readonly sep: string;
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** The layout element starting at `i`, as Go's `nextStdChunk` recognises it. */
function matchStd(l: string, i: number): StdMatch | undefined {
  const at = (s: string): boolean => l.startsWith(s, i);
  const m = (std: Std, length: number): StdMatch => ({ std, length, digits: 0, sep: '' });
  switch (l[i]) {
    case 'J':
      if (at('January')) return m('longMonth', 7);
      if (at('Jan')) return m('month', 3);
      return undefined;
    case 'M':
      if (at('Monday')) return m('longWeekDay', 6);
      if (at('Mon')) return m('weekDay', 3);
      if (at('MST')) return m('tz', 3);
      return undefined;
    case '0':
      if (at('002')) return m('zeroYearDay', 3);
      if (i + 1 < l.length && l[i + 1]! >= '1' && l[i + 1]! <= '6') {
        return m((['zeroMonth', 'zeroDay', 'zeroHour12', 'zeroMinute', 'zeroSecond', 'year'] as const)[Number(l[i + 1]) - 1]!, 2);
      }
      return undefined;
    case '1':
      if (at('15')) return m('hour', 2);
      return m('numMonth', 1);
    case '2':
      if (at('2006')) return m('longYear', 4);
      return m('day', 1);
    case '_':
      if (at('_2')) {
        if (at('_2006')) return undefined; // a literal _ then the year
        return m('underDay', 2);
      }
      if (at('__2')) return m('underYearDay', 3);
      return undefined;
    case '3':
      return m('hour12', 1);
    case '4':
      return m('minute', 1);
    case '5':
      return m('second', 1);
    case 'P':
      return at('PM') ? m('PM', 2) : undefined;
    case 'p':
      return at('pm') ? m('pm', 2) : undefined;
    case '-':
      if (at('-07:00:00')) return m('numColonSecondsTZ', 9);
      if (at('-070000')) return m('numSecondsTZ', 7);
      if (at('-07:00')) return m('numColonTZ', 6);
      if (at('-0700')) return m('numTZ', 5);
      if (at('-07')) return m('numShortTZ', 3);
      return undefined;
    case 'Z':
      if (at('Z07:00:00')) return m('isoColonSecondsTZ', 9);
      if (at('Z070000')) return m('isoSecondsTZ', 7);
      if (at('Z07:00')) return m('isoColonTZ', 6);
      if (at('Z0700')) return m('isoTZ', 5);
      if (at('Z07')) return m('isoShortTZ', 3);
      return undefined;
    case '.':
    case ',': {
      const ch = l[i + 1];
      if (ch === '0' || ch === '9') {
        let j = i + 1;
        while (j < l.length && l[j] === ch) j++;
        if (!isDigit(l, j)) return { std: ch === '0' ? 'fracFixed' : 'fracTrim', length: j - i, digits: Math.min(j - i - 1, 9), sep: l[i] };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Parses an RFC 3339 timestamp as Go's JSON decoding does; unparsable text gives the zero time. */
export function parseTime(value: string, localZone: string): GoTime {
  const m = RFC3339.exec(value);
  if (m === null) return zeroTime(localZone);
  const unixWall = unixOfCivil(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const nanos = m[7] === undefined ? 0 : Number(m[7].padEnd(9, '0'));
  const offset = m[8] !== undefined ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 3600 + Number(m[11]) * 60);
  // A zero offset reads as UTC; any other is a fixed zone without a name, printed as +hhmm.
  return new GoTime(unixWall - offset, nanos, offset, offset === 0 ? 'UTC' : '', localZone);
}

export function timeOfDate(date: Date, localZone: string): GoTime {
  const ms = date.getTime();
  const unix = Math.floor(ms / 1000);
  return new GoTime(unix, (ms - unix * 1000) * 1e6, 0, 'UTC', localZone);
}

export function zeroTime(localZone: string): GoTime {
  return new GoTime(ZERO_UNIX, 0, 0, 'UTC', localZone);
}

function self(receiver: GoValue): GoTime {
  return receiver as GoTime;
}

function getter(f: (t: GoTime, c: Civil) => number): GoFunc {
  return { params: [], call: (_a, r) => f(self(r), civil(self(r).unix + self(r).offset)) };
}

const TIME_METHODS: Record<string, GoFunc> = {};

export const TIME_TYPE: GoType = goType('time.Time', 'struct', { methods: TIME_METHODS });
const P_TIME = typedParam(TIME_TYPE);

Object.assign(TIME_METHODS, {
  String: { params: [], call: (_a, r) => self(r).toString() },
  Format: { params: [P_STRING], call: (a, r) => self(r).format(a[0] as string) },
  UTC: { params: [], call: (_a, r) => self(r).in('UTC') },
  Local: { params: [], call: (_a, r) => self(r).in(self(r).localZone) },
  Unix: { params: [], call: (_a, r) => self(r).unix },
  UnixMilli: { params: [], call: (_a, r) => self(r).unix * 1000 + Math.floor(self(r).nanos / 1e6) },
  IsZero: { params: [], call: (_a, r) => self(r).isZero() },
  Year: getter((_t, c) => c.year),
  Day: getter((_t, c) => c.day),
  YearDay: getter((_t, c) => c.yday),
  Hour: getter((_t, c) => c.hour),
  Minute: getter((_t, c) => c.minute),
  Second: getter((_t, c) => c.second),
  Nanosecond: getter((t) => t.nanos),
  Before: { params: [P_TIME], call: (a, r) => self(r).compare(a[0] as GoTime) < 0 },
  After: { params: [P_TIME], call: (a, r) => self(r).compare(a[0] as GoTime) > 0 },
  Equal: { params: [P_TIME], call: (a, r) => self(r).compare(a[0] as GoTime) === 0 },
} satisfies Record<string, GoFunc>);
