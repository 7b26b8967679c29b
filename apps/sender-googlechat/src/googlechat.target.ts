/**
 * Maps a Receiver's googlechat section (an extension of v2beta2) to a `GoogleChatTarget`: the
 * resolved space webhook URL. Google Chat needs no Config.
 */
import type { GoogleChatTarget } from '@nm/channels';
import type { GoogleChatReceiver } from '@nm/model';
import { timeoutOf, webhookUrlOf, type DeliveryJob } from '@nm/sender-kit';

/** The Google Chat target of a job; a missing or malformed webhook is a PermanentError. */
export function googlechatTargetOf(job: DeliveryJob): GoogleChatTarget {
  return { webhookUrl: webhookUrlOf(job, (job.section as GoogleChatReceiver).webhook), ...timeoutOf(job) };
}

/** Secret-free destination of a job that failed before any unit was tried (the URL holds the key and token). */
export function describeGooglechatDestination(): string {
  return 'webhook';
}
