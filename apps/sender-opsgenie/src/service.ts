/**
 * The Opsgenie sender service: `OpsgenieSender` on the Alert API at `NM_OPSGENIE_API_URL`, and
 * the target a Receiver's opsgenie section and its Config make (`opsgenie.target.ts`);
 * `@nm/sender-kit` does dedup (a redelivered notification sends nothing twice), history and retries.
 */
import { ChannelUrlEnvSchema, OpsgenieSender } from '@nm/channels';
import { senderService } from '@nm/sender-kit';
import { describeOpsgenieDestination, opsgenieTargetOf } from './opsgenie.target.js';

export const opsgenieService = senderService({
  channel: 'opsgenie',
  env: ChannelUrlEnvSchema.pick({ NM_OPSGENIE_API_URL: true }),
  spec: (env) => ({
    sender: new OpsgenieSender({ apiUrl: env.NM_OPSGENIE_API_URL }),
    targetOf: opsgenieTargetOf,
    describeDestination: describeOpsgenieDestination,
  }),
});
