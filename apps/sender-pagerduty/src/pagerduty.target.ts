/**
 * Maps a Receiver's pagerduty section (an extension of v2beta2) to a `PagerDutyTarget`: the
 * resolved `routingKey`, the notification's group key as the dedup key, and the optional event
 * fields (`severity` default, `source`, `component`, `group`, `class`, `client`, `clientURL`).
 * PagerDuty needs no Config.
 */
import type { PagerDutySeverity, PagerDutyTarget } from '@nm/channels';
import { PAGERDUTY_SEVERITIES, type PagerDutyReceiver } from '@nm/model';
import { targetError, textOf, timeoutOf, type DeliveryJob } from '@nm/sender-kit';

/** The PagerDuty target of a job; a missing routing key or an unknown severity is a PermanentError. */
export function pagerdutyTargetOf(job: DeliveryJob): PagerDutyTarget {
  const section = job.section as PagerDutyReceiver;
  const routingKey = job.credential(section.routingKey)?.trim();
  if (!routingKey) throw targetError(job, 'no-routing-key', 'pagerduty.routingKey is empty');
  const severity = textOf(section.severity)?.trim().toLowerCase();
  if (severity !== undefined && !(PAGERDUTY_SEVERITIES as readonly string[]).includes(severity)) {
    throw targetError(job, 'invalid-severity', `pagerduty.severity must be one of ${PAGERDUTY_SEVERITIES.join(', ')}, not ${JSON.stringify(section.severity)}`);
  }
  const optional = (name: 'source' | 'component' | 'group' | 'class' | 'client' | 'clientURL'): Partial<PagerDutyTarget> => {
    const v = textOf(section[name])?.trim();
    return v ? { [name]: v } : {};
  };
  return {
    routingKey,
    groupKey: job.notification.groupKey,
    ...(severity ? { severity: severity as PagerDutySeverity } : {}),
    ...optional('source'),
    ...optional('component'),
    ...optional('group'),
    ...optional('class'),
    ...optional('client'),
    ...optional('clientURL'),
    ...timeoutOf(job),
  };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describePagerdutyDestination(job: DeliveryJob): string {
  return `pagerduty ${job.notification.groupKey}`;
}
