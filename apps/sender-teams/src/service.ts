/**
 * The Microsoft Teams sender service: `TeamsSender` posting an Adaptive Card to the webhook URL of
 * each Receiver (`teams.target.ts`); `@nm/sender-kit` does dedup, history and retries. Teams needs
 * no Config and no base URL.
 */
import { TeamsSender } from '@nm/channels';
import { senderService } from '@nm/sender-kit';
import { describeTeamsDestination, teamsTargetOf } from './teams.target.js';

export const teamsService = senderService({
  channel: 'teams',
  spec: () => ({ sender: new TeamsSender(), targetOf: teamsTargetOf, describeDestination: describeTeamsDestination }),
});
