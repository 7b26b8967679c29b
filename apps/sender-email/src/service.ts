/**
 * The email sender service: `EmailSender` (SMTP) and the target a Receiver's email section and its
 * Config make (`email.target.ts`); `@nm/sender-kit` does dedup, history and retries.
 */
import { EmailSender } from '@nm/channels';
import { senderService } from '@nm/sender-kit';
import { describeEmailDestination, emailTargetOf } from './email.target.js';

export const emailService = senderService({
  channel: 'email',
  // one SMTP connection per delivery: mail relays limit connections per client (often 10–20), so
  // email keeps 16 at once where the HTTP channels deliver 32
  concurrency: 16,
  spec: () => ({ sender: new EmailSender(), targetOf: emailTargetOf, describeDestination: describeEmailDestination }),
});
