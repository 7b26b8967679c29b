/**
 * Maps a Receiver's telegram section and the Config it uses (notification-manager §1.4, §1.5,
 * §3.10) to a `TelegramTarget`: the `channels` (chat ids or @channel names) each get the message
 * from the bot of the Config's `telegramTokenSecret`, with `mentionedUsers` after the text. A
 * Receiver without `template` renders the default text (it is no crash).
 */
import type { TelegramTarget } from '@nm/channels';
import type { TelegramReceiver } from '@nm/model';
import { configOf, idsOf, requireFields, targetError, timeoutOf, type DeliveryJob } from '@nm/sender-kit';

const channelsOf = (job: DeliveryJob): string[] => idsOf((job.section as TelegramReceiver).channels);

/** The Telegram target of a job; no chat, no Config or no token is a PermanentError. */
export function telegramTargetOf(job: DeliveryJob): TelegramTarget {
  const channels = channelsOf(job);
  if (channels.length === 0) throw targetError(job, 'no-destination', 'telegram.channels is empty');
  const { config, section } = configOf(job, job.config?.spec.telegram, 'a telegram section', 'telegram needs telegramTokenSecret');
  const { telegramTokenSecret: token } = requireFields(job, config, 'telegram', { telegramTokenSecret: job.credential(section.telegramTokenSecret)?.trim() }, 'no-token');
  const mentionedUsers = idsOf((job.section as TelegramReceiver).mentionedUsers);
  return {
    token,
    channels,
    ...(mentionedUsers.length > 0 ? { mentionedUsers } : {}),
    // options.telegram.notificationTimeout: per-request timeout of sendMessage
    ...timeoutOf(job),
  };
}

/** Secret-free destination of a job that failed before any unit was tried. */
export function describeTelegramDestination(job: DeliveryJob): string {
  return channelsOf(job).join(', ');
}
