/**
 * The PagerDuty sender service: `PagerDutySender` on the Events API v2 at `NM_PAGERDUTY_API_URL`,
 * and the target a Receiver's pagerduty section makes (`pagerduty.target.ts`); `@nm/sender-kit`
 * does dedup (a redelivered notification sends nothing twice), history and retries.
 */
import { ChannelUrlEnvSchema, PagerDutySender } from '@nm/channels';
import { senderService } from '@nm/sender-kit';
import { describePagerdutyDestination, pagerdutyTargetOf } from './pagerduty.target.js';

export const pagerdutyService = senderService({
  channel: 'pagerduty',
  env: ChannelUrlEnvSchema.pick({ NM_PAGERDUTY_API_URL: true }),
  spec: (env) => ({
    sender: new PagerDutySender({ apiUrl: env.NM_PAGERDUTY_API_URL }),
    targetOf: pagerdutyTargetOf,
    describeDestination: describePagerdutyDestination,
  }),
});
