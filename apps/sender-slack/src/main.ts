import { channelBaseUrlsFromEnv } from '@nm/channels';
import { runSenderMain } from '@nm/sender-kit';
import { startSlackSender } from './service.js';

runSenderMain('sender-slack', (rt, env) =>
  startSlackSender(rt, {
    maxAttempts: env.NM_SENDER_MAX_ATTEMPTS,
    concurrency: env.NM_SENDER_CONCURRENCY,
    apiUrl: channelBaseUrlsFromEnv(process.env).slackApiUrl,
  }),
);
