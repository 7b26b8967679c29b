/**
 * The Telegram sender service: `TelegramSender` on the Bot API at `NM_TELEGRAM_API_URL`, and the
 * target a Receiver's telegram section and its Config make (`telegram.target.ts`);
 * `@nm/sender-kit` does dedup, history and retries.
 */
import { ChannelUrlEnvSchema, TelegramSender } from '@nm/channels';
import { senderService } from '@nm/sender-kit';
import { describeTelegramDestination, telegramTargetOf } from './telegram.target.js';

export const telegramService = senderService({
  channel: 'telegram',
  env: ChannelUrlEnvSchema.pick({ NM_TELEGRAM_API_URL: true }),
  spec: (env) => ({
    sender: new TelegramSender({ apiUrl: env.NM_TELEGRAM_API_URL }),
    targetOf: telegramTargetOf,
    describeDestination: describeTelegramDestination,
  }),
});
