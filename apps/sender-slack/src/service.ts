/**
 * The Slack sender service: the generic sender of `@nm/sender-kit` with `SlackSender`. The
 * Receiver's slack section and its Config become a target (`slack.target.ts`); the kit does dedup,
 * history and retries.
 */
import { SlackSender, type SlackSenderOptions } from '@nm/channels';
import { SENDER_DEFAULTS, startSender, type SenderHandle } from '@nm/sender-kit';
import type { Runtime } from '@nm/service-kit';
import { describeSlackDestination, slackTargetOf } from './slack.target.js';

export interface SlackServiceOptions {
  /** Deliveries of one notification before a retryable failure is dead-lettered (default 12). */
  maxAttempts?: number;
  /** Notifications handled at once (default 16). */
  concurrency?: number;
  /** How long delivered notification ids are remembered (default 7 days). */
  deliveredTtlSeconds?: number;
  /** Backoff of retryable failures (defaults 500 ms doubling up to 60 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Slack Web API base URL (default `https://slack.com/api/`; see `NM_SLACK_API_URL`). */
  apiUrl?: string;
  /** Options of the HTTP sender (inline retries, clock, axios instance, split size). */
  sender?: Omit<SlackSenderOptions, 'apiUrl'>;
}

export async function startSlackSender(rt: Runtime, opts: SlackServiceOptions = {}): Promise<SenderHandle> {
  const sender = new SlackSender({ ...opts.sender, ...(opts.apiUrl ? { apiUrl: opts.apiUrl } : {}) });
  return startSender(rt, {
    channel: 'slack',
    maxAttempts: opts.maxAttempts ?? SENDER_DEFAULTS.maxAttempts,
    concurrency: opts.concurrency ?? SENDER_DEFAULTS.concurrency,
    ...(opts.deliveredTtlSeconds === undefined ? {} : { deliveredTtlSeconds: opts.deliveredTtlSeconds }),
    ...(opts.backoffBaseMs === undefined ? {} : { backoffBaseMs: opts.backoffBaseMs }),
    ...(opts.backoffMaxMs === undefined ? {} : { backoffMaxMs: opts.backoffMaxMs }),
    deliver: (job) =>
      sender.send(
        slackTargetOf(job),
        { kind: 'alerts', alerts: job.notification.alerts, render: job.render },
        { notificationId: job.notification.id, deliveredKeys: job.deliveredKeys, signal: job.signal },
      ),
    describeDestination: describeSlackDestination,
  });
}
