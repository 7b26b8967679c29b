/**
 * Maps a Receiver's slack section and the Config it uses (notification-manager §1.4, §1.5, §3.4)
 * to a `SlackTarget`: `channels` are posted with `chat.postMessage` and the Config's
 * `slackTokenSecret`; the extension field `webhook` (a Credential holding an incoming-webhook
 * URL) posts to that webhook and needs no Config.
 */
import { PermanentError } from '@nm/errors';
import type { SlackTarget } from '@nm/channels';
import { CredentialSchema, type SlackReceiver } from '@nm/model';
import type { DeliveryJob } from '@nm/sender-kit';

const channelsOf = (job: DeliveryJob): string[] =>
  ((job.section as SlackReceiver).channels ?? []).map((c) => c.trim()).filter((c) => c !== '');

/** The incoming-webhook URL of the extension field `webhook`, resolved. */
function webhookUrlOf(job: DeliveryJob): string | undefined {
  const raw = job.section['webhook'];
  if (raw === undefined || raw === null) return undefined;
  const parsed = CredentialSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PermanentError(`receiver ${job.receiver.metadata.name}: slack.webhook must be a Credential (value or valueFrom.secretKeyRef)`, {
      code: 'slack:invalid-webhook',
    });
  }
  const url = job.credential(parsed.data);
  return url === undefined || url.trim() === '' ? undefined : url.trim();
}

/** The Slack target of a job; channels without a Config token, or nothing to post to, is a PermanentError. */
export function slackTargetOf(job: DeliveryJob): SlackTarget {
  const name = job.receiver.metadata.name;
  const channels = channelsOf(job);
  const webhookUrl = webhookUrlOf(job);
  let token: string | undefined;
  if (channels.length > 0) {
    const cfg = job.config?.spec.slack;
    if (!job.config || !cfg) {
      throw new PermanentError(`receiver ${name}: no Config with a slack section qualifies (slack channels need slackTokenSecret)`, { code: 'slack:no-config' });
    }
    token = job.credential(cfg.slackTokenSecret);
    if (token === undefined || token === '') {
      throw new PermanentError(`receiver ${name}: Config ${job.config.metadata.name} has no slack.slackTokenSecret`, { code: 'slack:no-token' });
    }
  }
  if (channels.length === 0 && webhookUrl === undefined) {
    throw new PermanentError(`receiver ${name}: slack names neither channels nor a webhook`, { code: 'slack:no-destination' });
  }
  return {
    ...(token !== undefined ? { token } : {}),
    channels,
    ...(webhookUrl !== undefined ? { webhookUrl } : {}),
    // options.slack.notificationTimeout: per-request timeout of chat.postMessage and webhooks
    ...(job.notificationTimeoutMs !== undefined ? { timeoutMs: job.notificationTimeoutMs } : {}),
  };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describeSlackDestination(job: DeliveryJob): string {
  const hasWebhook = job.section['webhook'] !== undefined && job.section['webhook'] !== null;
  return [...channelsOf(job), ...(hasWebhook ? ['webhook'] : [])].join(', ');
}
