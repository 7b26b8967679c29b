/**
 * Times in templates are shown in the configured IANA time zone as `YYYY-MM-DD HH:mm:ss ±HH:MM`
 * (`UTC` instead of an offset when the offset is zero). Alertmanager's zero time and unparsable
 * input give an empty string, so `{{#endTime}}…{{/endTime}}` only shows for resolved alerts.
 */
export const DEFAULT_TIME_ZONE = 'UTC';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone === '') return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** True for Alertmanager's zero time (`0001-01-01T00:00:00Z`) and any other year-1 timestamp. */
export function isZeroTime(value: string): boolean {
  return value === '' || value.startsWith('0001-01-01');
}

export function formatDate(date: Date, timeZone: string): string {
  if (Number.isNaN(date.getTime())) return '';
  let year = '';
  let month = '';
  let day = '';
  let hour = '';
  let minute = '';
  let second = '';
  let zone = '';
  for (const part of formatterFor(timeZone).formatToParts(date)) {
    switch (part.type) {
      case 'year':
        year = part.value;
        break;
      case 'month':
        month = part.value;
        break;
      case 'day':
        day = part.value;
        break;
      case 'hour':
        hour = part.value;
        break;
      case 'minute':
        minute = part.value;
        break;
      case 'second':
        second = part.value;
        break;
      case 'timeZoneName':
        zone = part.value;
        break;
      default:
        break;
    }
  }
  const offset = zone === 'GMT' || zone === '' || zone === 'GMT+00:00' ? 'UTC' : zone.replace(/^GMT/, '');
  return `${year.padStart(4, '0')}-${month}-${day} ${hour}:${minute}:${second} ${offset}`;
}

/** Formats an RFC 3339 timestamp; empty for the zero time or text that is not a timestamp. */
export function formatTimestamp(value: string, timeZone: string): string {
  if (isZeroTime(value)) return '';
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return '';
  return formatDate(new Date(ms), timeZone);
}
