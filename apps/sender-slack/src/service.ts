/**
 * The Slack sender service: `SlackSender` on the Web API at `NM_SLACK_API_URL`, and the target a
 * Receiver's slack section and its Config make (`slack.target.ts`); `@nm/sender-kit` does dedup,
 * history and retries.
 */
import { ChannelUrlEnvSchema, SlackSender } from '@nm/channels';
import { senderService } from '@nm/sender-kit';
import { describeSlackDestination, slackTargetOf } from './slack.target.js';

export const slackService = senderService({
  channel: 'slack',
  env: ChannelUrlEnvSchema.pick({ NM_SLACK_API_URL: true }),
  spec: (env) => ({ sender: new SlackSender({ apiUrl: env.NM_SLACK_API_URL }), targetOf: slackTargetOf, describeDestination: describeSlackDestination }),
});
