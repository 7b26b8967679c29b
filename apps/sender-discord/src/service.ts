/**
 * The Discord sender service: `DiscordSender` posting to the webhook URL of each Receiver
 * (`discord.target.ts`); `@nm/sender-kit` does dedup, history and retries. Discord needs no
 * Config and no base URL.
 */
import { DiscordSender } from '@nm/channels';
import { senderService } from '@nm/sender-kit';
import { describeDiscordDestination, discordTargetOf } from './discord.target.js';

export const discordService = senderService({
  channel: 'discord',
  spec: () => ({ sender: new DiscordSender(), targetOf: discordTargetOf, describeDestination: describeDiscordDestination }),
});
