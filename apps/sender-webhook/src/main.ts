import { runSenderMain } from '@nm/sender-kit';
import { startWebhookSender } from './service.js';

runSenderMain('sender-webhook', (rt, env) =>
  startWebhookSender(rt, { maxAttempts: env.NM_SENDER_MAX_ATTEMPTS, concurrency: env.NM_SENDER_CONCURRENCY }),
);
