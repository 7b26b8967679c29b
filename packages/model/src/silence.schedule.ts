import { CronExpressionParser } from 'cron-parser';
import { parseDuration } from './duration.js';
import { InvalidScheduleError } from './errors.js';

/**
 * Silence schedules with robfig/cron `ParseStandard` syntax (what upstream uses):
 * - five fields `minute hour day-of-month month day-of-week` (`?` allowed for either day field);
 * - descriptors `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight`, `@hourly`;
 * - `@every <Go duration>`;
 * - an optional `CRON_TZ=<zone>` or `TZ=<zone>` prefix that overrides the time zone.
 */
export type ParsedSchedule =
  | { type: 'cron'; expression: string; timeZone?: string | undefined }
  | { type: 'every'; everyMs: number };

const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** @throws InvalidScheduleError */
export function parseSchedule(schedule: string): ParsedSchedule {
  let s = schedule.trim();
  let timeZone: string | undefined;
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(s);
  if (tz) {
    timeZone = tz[1]!;
    if (!isValidTimeZone(timeZone)) throw new InvalidScheduleError(schedule, `unknown time zone ${timeZone}`);
    s = s.slice(tz[0].length).trim();
  }
  if (s.startsWith('@every ')) {
    let everyMs: number;
    try {
      everyMs = parseDuration(s.slice('@every '.length).trim());
    } catch (e) {
      throw new InvalidScheduleError(schedule, 'bad @every duration', e);
    }
    // robfig rounds @every down to whole seconds, with a minimum of one second.
    return { type: 'every', everyMs: Math.max(1000, Math.floor(everyMs / 1000) * 1000) };
  }
  let expression: string;
  if (s.startsWith('@')) {
    const d = DESCRIPTORS[s];
    if (!d) throw new InvalidScheduleError(schedule, `unknown descriptor ${s}`);
    expression = d;
  } else {
    const fields = s.split(/\s+/).filter((f) => f !== '');
    if (fields.length !== 5) throw new InvalidScheduleError(schedule, `expected 5 fields, found ${fields.length}`);
    expression = fields.join(' ');
  }
  try {
    CronExpressionParser.parse(expression, { currentDate: new Date(0), tz: 'UTC' });
  } catch (e) {
    throw new InvalidScheduleError(schedule, e instanceof Error ? e.message : String(e), e);
  }
  return { type: 'cron', expression, timeZone };
}

/** True when the runtime knows `zone` as an IANA time zone. */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The latest firing at or before `now`, or undefined when there is none (evaluated in `timeZone`). */
export function lastFiring(schedule: ParsedSchedule & { type: 'cron' }, now: Date, timeZone?: string): Date | undefined {
  const tz = schedule.timeZone ?? timeZone;
  // prev() is strictly before currentDate; start 1 ms after `now` so a firing at `now` counts.
  const expr = CronExpressionParser.parse(schedule.expression, {
    currentDate: new Date(now.getTime() + 1),
    ...(tz ? { tz } : {}),
  });
  try {
    return expr.prev().toDate();
  } catch {
    return undefined;
  }
}

/**
 * True iff the schedule fired in `(now − durationMs, now]` — upstream's
 * `schedule.Next(now − duration) <= now`. For `@every X` upstream's `Next(t)` is `t + X`, so that
 * test reduces to `X <= duration`.
 */
export function firedWithin(schedule: ParsedSchedule, now: Date, durationMs: number, timeZone?: string): boolean {
  if (schedule.type === 'every') return schedule.everyMs <= durationMs;
  const last = lastFiring(schedule, now, timeZone);
  return last !== undefined && last.getTime() > now.getTime() - durationMs;
}
