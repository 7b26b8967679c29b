import { runSenderMain } from '@nm/sender-kit';
import { startEmailSender } from './service.js';

runSenderMain('sender-email', (rt, env) =>
  startEmailSender(rt, { maxAttempts: env.NM_SENDER_MAX_ATTEMPTS, concurrency: env.NM_SENDER_CONCURRENCY }),
);
