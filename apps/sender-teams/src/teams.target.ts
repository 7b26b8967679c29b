/**
 * Maps a Receiver's teams section (an extension of v2beta2) to a `TeamsTarget`: the resolved
 * Workflows / incoming webhook URL. Teams needs no Config; the card's heading is the
 * `titleTemplate` (default `nm.default.subject`).
 */
import type { TeamsTarget } from '@nm/channels';
import type { TeamsReceiver } from '@nm/model';
import { timeoutOf, webhookUrlOf, type DeliveryJob } from '@nm/sender-kit';

/** The Teams target of a job; a missing or malformed webhook is a PermanentError. */
export function teamsTargetOf(job: DeliveryJob): TeamsTarget {
  return { webhookUrl: webhookUrlOf(job, (job.section as TeamsReceiver).webhook), ...timeoutOf(job) };
}

/** Secret-free destination of a job that failed before any unit was tried (the URL holds the webhook's signature). */
export function describeTeamsDestination(): string {
  return 'webhook';
}
