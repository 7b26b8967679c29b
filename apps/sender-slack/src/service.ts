/**
 * The Slack sender service: the generic sender of `@nm/sender-kit` with `SlackSender`. The
 * Receiver's slack section and its Config become a target (`slack.target.ts`); the kit does dedup,
 * history and retries.
 */
import { SlackSender, type SlackSenderOptions } from '@nm/channels';
import { startSender, type SenderHandle, type SenderServiceOptions } from '@nm/sender-kit';
import type { Runtime } from '@nm/service-kit';
import { describeSlackDestination, slackTargetOf } from './slack.target.js';

export interface SlackServiceOptions extends SenderServiceOptions {
  /** Slack Web API base URL (default `https://slack.com/api/`; see `NM_SLACK_API_URL`). */
  apiUrl?: string;
  /** Options of the HTTP sender (inline retries, clock, axios instance, split size). */
  sender?: Omit<SlackSenderOptions, 'apiUrl'>;
}

export async function startSlackSender(rt: Runtime, opts: SlackServiceOptions = {}): Promise<SenderHandle> {
  const sender = new SlackSender({ ...opts.sender, ...(opts.apiUrl ? { apiUrl: opts.apiUrl } : {}) });
  return startSender(rt, { sender, targetOf: slackTargetOf, describeDestination: describeSlackDestination }, opts);
}
