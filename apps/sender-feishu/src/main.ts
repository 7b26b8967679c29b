import { channelBaseUrlsFromEnv } from '@nm/channels';
import { runSenderMain } from '@nm/sender-kit';
import { startFeishuSender } from './service.js';

runSenderMain('sender-feishu', (rt, env) =>
  startFeishuSender(rt, {
    maxAttempts: env.NM_SENDER_MAX_ATTEMPTS,
    concurrency: env.NM_SENDER_CONCURRENCY,
    apiUrl: channelBaseUrlsFromEnv(process.env).feishuApiUrl,
  }),
);
