/**
 * The Pushover sender service: `PushoverSender` on the API at `NM_PUSHOVER_API_URL`, and the target
 * a Receiver's pushover section and its Config make (`pushover.target.ts`); `@nm/sender-kit` does
 * dedup, history and retries.
 */
import { ChannelUrlEnvSchema, PushoverSender } from '@nm/channels';
import { senderService } from '@nm/sender-kit';
import { describePushoverDestination, pushoverTargetOf } from './pushover.target.js';

export const pushoverService = senderService({
  channel: 'pushover',
  env: ChannelUrlEnvSchema.pick({ NM_PUSHOVER_API_URL: true }),
  spec: (env) => ({
    sender: new PushoverSender({ apiUrl: env.NM_PUSHOVER_API_URL }),
    targetOf: pushoverTargetOf,
    describeDestination: describePushoverDestination,
  }),
});
