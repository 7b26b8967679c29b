/**
 * Maps a Receiver's pushover section and the Config it uses (notification-manager §1.4, §1.5,
 * §3.7) to a `PushoverTarget`: one profile per user or group key with its devices, sound, the
 * `priority` extension and the deprecated fixed `title`, sent with the Config's
 * `pushoverTokenSecret`. The title of each message is rendered from `titleTemplate`.
 */
import { maskUserKey, type PushoverProfile, type PushoverTarget } from '@nm/channels';
import type { PushoverReceiver } from '@nm/model';
import { configOf, idsOf, requireFields, targetError, textOf, timeoutOf, type DeliveryJob } from '@nm/sender-kit';

const profilesOf = (job: DeliveryJob): PushoverReceiver['profiles'] => (job.section as PushoverReceiver).profiles ?? [];

/** The Pushover target of a job; no profile, no Config or no token is a PermanentError. */
export function pushoverTargetOf(job: DeliveryJob): PushoverTarget {
  const profiles: PushoverProfile[] = profilesOf(job).map((p, i) => {
    const userKey = p.userKey?.trim() ?? '';
    if (!/^[A-Za-z0-9]{30}$/.test(userKey)) throw targetError(job, 'invalid-profile', `pushover.profiles[${i}].userKey must be 30 letters or digits`);
    const devices = idsOf(p.devices);
    const sound = textOf(p.sound)?.trim();
    const title = textOf(p.title);
    if (p.priority !== undefined && (!Number.isInteger(p.priority) || p.priority < -2 || p.priority > 2)) {
      throw targetError(job, 'invalid-profile', `pushover.profiles[${i}].priority must be -2, -1, 0, 1 or 2`);
    }
    return {
      userKey,
      ...(devices.length > 0 ? { devices } : {}),
      ...(sound ? { sound } : {}),
      ...(p.priority !== undefined ? { priority: p.priority } : {}),
      ...(title !== undefined ? { title } : {}),
    };
  });
  if (profiles.length === 0) throw targetError(job, 'no-destination', 'pushover.profiles is empty');
  const { config, section } = configOf(job, job.config?.spec.pushover, 'a pushover section', 'pushover needs pushoverTokenSecret');
  const { pushoverTokenSecret: token } = requireFields(job, config, 'pushover', { pushoverTokenSecret: job.credential(section.pushoverTokenSecret)?.trim() }, 'no-token');
  // options.pushover.notificationTimeout: per-request timeout of messages.json
  return { token, profiles, ...timeoutOf(job) };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describePushoverDestination(job: DeliveryJob): string {
  return profilesOf(job)
    .map((p) => {
      const devices = idsOf(p.devices);
      return `${maskUserKey(String(p.userKey ?? '').trim())}${devices.length > 0 ? `(${devices.join(',')})` : ''}`;
    })
    .join(', ');
}
