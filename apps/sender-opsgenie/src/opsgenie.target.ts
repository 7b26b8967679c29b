/**
 * Maps a Receiver's opsgenie section (an extension of v2beta2) and the Config it uses to an
 * `OpsgenieTarget`: the Config's `apiKey`, the notification's group key as the alias, and the
 * Receiver's `responders`, `tags`, `priority`, `entity` and `source`.
 */
import type { OpsgenieResponder, OpsgenieTarget } from '@nm/channels';
import { OPSGENIE_PRIORITIES, OPSGENIE_RESPONDER_TYPES, type OpsgenieReceiver } from '@nm/model';
import { configOf, idsOf, requireFields, targetError, textOf, timeoutOf, type DeliveryJob } from '@nm/sender-kit';

function respondersOf(job: DeliveryJob, section: OpsgenieReceiver): OpsgenieResponder[] {
  return (section.responders ?? []).map((r, i) => {
    const type = textOf(r.type)?.trim().toLowerCase();
    if (!type || !(OPSGENIE_RESPONDER_TYPES as readonly string[]).includes(type)) {
      throw targetError(job, 'invalid-responder', `opsgenie.responders[${i}].type must be one of ${OPSGENIE_RESPONDER_TYPES.join(', ')}`);
    }
    const id = textOf(r.id)?.trim();
    const name = textOf(r.name)?.trim();
    const username = textOf(r.username)?.trim();
    if (!id && !name && !username) throw targetError(job, 'invalid-responder', `opsgenie.responders[${i}] needs an id, name or username`);
    return { type: type as OpsgenieResponder['type'], ...(id ? { id } : name ? { name } : { username: username! }) };
  });
}

/** The Opsgenie target of a job; no Config with an apiKey, or a malformed field, is a PermanentError. */
export function opsgenieTargetOf(job: DeliveryJob): OpsgenieTarget {
  const section = job.section as OpsgenieReceiver;
  const { config, section: cfg } = configOf(job, job.config?.spec.opsgenie, 'an opsgenie section', 'opsgenie needs apiKey');
  const { apiKey } = requireFields(job, config, 'opsgenie', { apiKey: job.credential(cfg.apiKey)?.trim() }, 'no-api-key');
  const priority = textOf(section.priority)?.trim().toUpperCase();
  if (priority !== undefined && !(OPSGENIE_PRIORITIES as readonly string[]).includes(priority)) {
    throw targetError(job, 'invalid-priority', `opsgenie.priority must be one of ${OPSGENIE_PRIORITIES.join(', ')}, not ${JSON.stringify(section.priority)}`);
  }
  const responders = respondersOf(job, section);
  const tags = idsOf(section.tags);
  const entity = textOf(section.entity)?.trim();
  const source = textOf(section.source)?.trim();
  return {
    apiKey,
    groupKey: job.notification.groupKey,
    ...(responders.length ? { responders } : {}),
    ...(tags.length ? { tags } : {}),
    ...(priority ? { priority } : {}),
    ...(entity ? { entity } : {}),
    ...(source ? { source } : {}),
    ...timeoutOf(job),
  };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describeOpsgenieDestination(job: DeliveryJob): string {
  return `opsgenie ${job.notification.groupKey}`;
}
