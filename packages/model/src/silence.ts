import type { Silence } from './crd/silence.schema.js';
import { parseDuration } from './duration.js';
import { matchesSelector, type Labels } from './selector.js';
import { firedWithin, parseSchedule } from './silence.schedule.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** Parses an RFC 3339 timestamp strictly (no day/hour rollover); undefined when it is not one. */
export function parseRfc3339(value: string): Date | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[8] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return undefined;
  const d = new Date(value.toUpperCase());
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * Whether a Silence is active at `now` (reference §1.7):
 * - `enabled: false` → never;
 * - `schedule` set: without `duration` always; with one, iff the schedule fired in
 *   `(now − duration, now]`, evaluated in `timeZone` (the NotificationManager's `spec.timeZone`;
 *   undefined = the process zone, as upstream). `startsAt` is ignored;
 * - else `startsAt` set: inactive before it; without `duration` active from then on; with one,
 *   active while `now < startsAt + duration`;
 * - neither set: always active.
 * Values that do not parse (validation rejects them) make the silence inactive rather than
 * muting alerts on a guess.
 */
export function isSilenceActive(silence: Silence, now: Date, timeZone?: string): boolean {
  const spec = silence.spec;
  if (spec.enabled === false) return false;
  let durationMs: number | undefined;
  try {
    durationMs = spec.duration === undefined ? undefined : parseDuration(spec.duration);
  } catch {
    return false;
  }
  if (spec.schedule !== undefined && spec.schedule !== '') {
    if (durationMs === undefined) return true;
    try {
      return firedWithin(parseSchedule(spec.schedule), now, durationMs, timeZone);
    } catch {
      return false;
    }
  }
  if (spec.startsAt !== undefined && spec.startsAt !== '') {
    const start = parseRfc3339(spec.startsAt);
    if (!start) return false;
    if (now.getTime() < start.getTime()) return false;
    return durationMs === undefined || now.getTime() < start.getTime() + durationMs;
  }
  return true;
}

/** Whether a silence's `matcher` matches the labels (activity aside). A silence without a matcher matches nothing. */
export function silenceMatches(silence: Silence, labels: Labels): boolean {
  const matcher = silence.spec.matcher as Silence['spec']['matcher'] | undefined | null;
  return matcher !== undefined && matcher !== null && matchesSelector(matcher, labels);
}

/** The active silences whose `matcher` matches the labels. */
export function silencesMatching(labels: Labels, silences: readonly Silence[], now: Date, timeZone?: string): Silence[] {
  return silences.filter((s) => silenceMatches(s, labels) && isSilenceActive(s, now, timeZone));
}
