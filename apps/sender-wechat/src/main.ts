import { runSenderMain } from '@nm/sender-kit';
import { startWechatSender } from './service.js';

runSenderMain('sender-wechat', (rt, env) =>
  startWechatSender(rt, { maxAttempts: env.NM_SENDER_MAX_ATTEMPTS, concurrency: env.NM_SENDER_CONCURRENCY }),
);
