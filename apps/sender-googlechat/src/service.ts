/**
 * The Google Chat sender service: `GoogleChatSender` posting text to the space webhook of each
 * Receiver (`googlechat.target.ts`); `@nm/sender-kit` does dedup, history and retries. Google Chat
 * needs no Config and no base URL.
 */
import { GoogleChatSender } from '@nm/channels';
import { senderService } from '@nm/sender-kit';
import { describeGooglechatDestination, googlechatTargetOf } from './googlechat.target.js';

export const googlechatService = senderService({
  channel: 'googlechat',
  spec: () => ({ sender: new GoogleChatSender(), targetOf: googlechatTargetOf, describeDestination: describeGooglechatDestination }),
});
