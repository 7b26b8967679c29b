/**
 * The email sender service: `EmailSender` (SMTP) and the target a Receiver's email section and its
 * Config make (`email.target.ts`); `@nm/sender-kit` does dedup, history and retries.
 */
import { EmailSender } from '@nm/channels';
import { senderService } from '@nm/sender-kit';
import { describeEmailDestination, emailTargetOf } from './email.target.js';

export const emailService = senderService({
  channel: 'email',
  spec: () => ({ sender: new EmailSender(), targetOf: emailTargetOf, describeDestination: describeEmailDestination }),
});
