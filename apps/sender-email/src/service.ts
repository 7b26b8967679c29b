/**
 * The email sender service: the generic sender of `@nm/sender-kit` with `EmailSender` (SMTP).
 * The Receiver's email section and its Config become an SMTP target (`email.target.ts`); the kit
 * does dedup, history and retries.
 */
import { EmailSender, type EmailSenderOptions } from '@nm/channels';
import { startSender, type SenderHandle, type SenderServiceOptions } from '@nm/sender-kit';
import type { Runtime } from '@nm/service-kit';
import { describeEmailDestination, emailTargetOf } from './email.target.js';

export interface EmailServiceOptions extends SenderServiceOptions {
  /** Options of the SMTP sender (recipients per message, timeouts, inline retries, clock). */
  sender?: EmailSenderOptions;
}

export async function startEmailSender(rt: Runtime, opts: EmailServiceOptions = {}): Promise<SenderHandle> {
  const sender = new EmailSender(opts.sender);
  return startSender(rt, { sender, targetOf: emailTargetOf, describeDestination: describeEmailDestination }, opts);
}
