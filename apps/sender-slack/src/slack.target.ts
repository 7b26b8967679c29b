/**
 * Maps a Receiver's slack section and the Config it uses (notification-manager §1.4, §1.5, §3.4)
 * to a `SlackTarget`: `channels` are posted with `chat.postMessage` and the Config's
 * `slackTokenSecret`; the extension field `webhook` (a Credential holding an incoming-webhook
 * URL) posts to that webhook and needs no Config.
 */
import type { SlackTarget } from '@nm/channels';
import { CredentialSchema, type SlackReceiver } from '@nm/model';
import { configOf, idsOf, requireFields, targetError, timeoutOf, type DeliveryJob } from '@nm/sender-kit';

const channelsOf = (job: DeliveryJob): string[] => idsOf((job.section as SlackReceiver).channels);

/** The incoming-webhook URL of the extension field `webhook`, resolved. */
function webhookUrlOf(job: DeliveryJob): string | undefined {
  const raw = job.section['webhook'];
  if (raw === undefined || raw === null) return undefined;
  const parsed = CredentialSchema.safeParse(raw);
  if (!parsed.success) throw targetError(job, 'invalid-webhook', 'slack.webhook must be a Credential (value or valueFrom.secretKeyRef)');
  const url = job.credential(parsed.data);
  return url === undefined || url.trim() === '' ? undefined : url.trim();
}

/** The Slack target of a job; channels without a Config token, or nothing to post to, is a PermanentError. */
export function slackTargetOf(job: DeliveryJob): SlackTarget {
  const channels = channelsOf(job);
  const webhookUrl = webhookUrlOf(job);
  let token: string | undefined;
  if (channels.length > 0) {
    const { config, section } = configOf(job, job.config?.spec.slack, 'a slack section', 'slack channels need slackTokenSecret');
    ({ slackTokenSecret: token } = requireFields(job, config, 'slack', { slackTokenSecret: job.credential(section.slackTokenSecret) }, 'no-token'));
  }
  if (channels.length === 0 && webhookUrl === undefined) throw targetError(job, 'no-destination', 'slack names neither channels nor a webhook');
  return {
    ...(token !== undefined ? { token } : {}),
    channels,
    ...(webhookUrl !== undefined ? { webhookUrl } : {}),
    // options.slack.notificationTimeout: per-request timeout of chat.postMessage and webhooks
    ...timeoutOf(job),
  };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describeSlackDestination(job: DeliveryJob): string {
  const hasWebhook = job.section['webhook'] !== undefined && job.section['webhook'] !== null;
  return [...channelsOf(job), ...(hasWebhook ? ['webhook'] : [])].join(', ');
}
