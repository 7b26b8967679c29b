/**
 * The email sender service: the generic sender of `@nm/sender-kit` with `EmailSender` (SMTP).
 * The Receiver's email section and its Config become an SMTP target (`email.target.ts`); the kit
 * does dedup, history and retries.
 */
import { EmailSender, type EmailSenderOptions } from '@nm/channels';
import { SENDER_DEFAULTS, startSender, type SenderHandle } from '@nm/sender-kit';
import type { Runtime } from '@nm/service-kit';
import { describeEmailDestination, emailTargetOf } from './email.target.js';

export interface EmailServiceOptions {
  /** Deliveries of one notification before a retryable failure is dead-lettered (default 12). */
  maxAttempts?: number;
  /** Notifications handled at once (default 16). */
  concurrency?: number;
  /** How long delivered notification ids are remembered (default 7 days). */
  deliveredTtlSeconds?: number;
  /** Backoff of retryable failures (defaults 500 ms doubling up to 60 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Options of the SMTP sender (recipients per message, timeouts, inline retries, clock). */
  sender?: EmailSenderOptions;
}

export async function startEmailSender(rt: Runtime, opts: EmailServiceOptions = {}): Promise<SenderHandle> {
  const sender = new EmailSender(opts.sender);
  return startSender(rt, {
    channel: 'email',
    maxAttempts: opts.maxAttempts ?? SENDER_DEFAULTS.maxAttempts,
    concurrency: opts.concurrency ?? SENDER_DEFAULTS.concurrency,
    ...(opts.deliveredTtlSeconds === undefined ? {} : { deliveredTtlSeconds: opts.deliveredTtlSeconds }),
    ...(opts.backoffBaseMs === undefined ? {} : { backoffBaseMs: opts.backoffBaseMs }),
    ...(opts.backoffMaxMs === undefined ? {} : { backoffMaxMs: opts.backoffMaxMs }),
    deliver: (job) =>
      sender.send(
        emailTargetOf(job),
        { kind: 'alerts', alerts: job.notification.alerts, render: job.render },
        { notificationId: job.notification.id, deliveredKeys: job.deliveredKeys, signal: job.signal },
      ),
    describeDestination: describeEmailDestination,
  });
}
