/**
 * Maps a Receiver's discord section (notification-manager §1.5, §3.9) to a `DiscordTarget`: the
 * resolved `webhook` URL, `type` (`content` by default, or `embed`) and the mentions the Receiver
 * names (`mentionedUsers`: user ids or `everyone`/`here`; `mentionedRoles`: role ids). Discord
 * uses no Config. A Receiver without `template` renders the default text (it is no crash).
 */
import type { DiscordMessageType, DiscordTarget } from '@nm/channels';
import type { DiscordReceiver } from '@nm/model';
import { idsOf, targetError, textOf, timeoutOf, type DeliveryJob } from '@nm/sender-kit';

const TYPES: readonly DiscordMessageType[] = ['content', 'embed'];

/** The Discord target of a job; a missing or malformed webhook, type or mention is a PermanentError. */
export function discordTargetOf(job: DeliveryJob): DiscordTarget {
  const section = job.section as DiscordReceiver;
  const webhookUrl = job.credential(section.webhook)?.trim();
  if (!webhookUrl) throw targetError(job, 'no-webhook', 'discord.webhook is empty');
  let protocol: string;
  try {
    protocol = new URL(webhookUrl).protocol;
  } catch {
    throw targetError(job, 'invalid-webhook', 'discord.webhook is not a URL');
  }
  if (protocol !== 'https:' && protocol !== 'http:') throw targetError(job, 'invalid-webhook', 'discord.webhook must be an http(s) URL');
  const type = (textOf(section.type)?.trim().toLowerCase() ?? 'content') as DiscordMessageType;
  if (!TYPES.includes(type)) throw targetError(job, 'invalid-type', `discord.type must be content or embed, not ${JSON.stringify(section.type)}`);
  const mentionedUsers = idsOf(section.mentionedUsers);
  const mentionedRoles = idsOf(section.mentionedRoles);
  mentionedUsers.forEach((u, i) => {
    if (!/^\d{1,20}$/.test(u) && u !== 'everyone' && u !== 'here') {
      throw targetError(job, 'invalid-mention', `discord.mentionedUsers[${i}] must be a user id, everyone or here`);
    }
  });
  mentionedRoles.forEach((r, i) => {
    if (!/^\d{1,20}$/.test(r)) throw targetError(job, 'invalid-mention', `discord.mentionedRoles[${i}] must be a role id`);
  });
  return {
    webhookUrl,
    type,
    ...(mentionedUsers.length > 0 ? { mentionedUsers } : {}),
    ...(mentionedRoles.length > 0 ? { mentionedRoles } : {}),
    // options.discord.notificationTimeout: per-request timeout of the webhook call
    ...timeoutOf(job),
  };
}

/** Secret-free destination of a job that failed before any unit was tried (the URL holds the webhook's token). */
export function describeDiscordDestination(): string {
  return 'webhook';
}
