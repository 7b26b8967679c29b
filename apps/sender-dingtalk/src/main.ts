import { channelBaseUrlsFromEnv } from '@nm/channels';
import { runSenderMain } from '@nm/sender-kit';
import { startDingtalkSender } from './service.js';

runSenderMain('sender-dingtalk', (rt, env) =>
  startDingtalkSender(rt, {
    maxAttempts: env.NM_SENDER_MAX_ATTEMPTS,
    concurrency: env.NM_SENDER_CONCURRENCY,
    apiUrl: channelBaseUrlsFromEnv(process.env).dingtalkApiUrl,
  }),
);
