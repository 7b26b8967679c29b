/**
 * The webhook sender service: `WebhookSender` and the request target a Receiver's webhook section
 * makes (`webhook.target.ts`); `@nm/sender-kit` does dedup, history and retries.
 */
import { WebhookSender } from '@nm/channels';
import { senderService } from '@nm/sender-kit';
import { describeWebhookDestination, webhookTargetOf } from './webhook.target.js';

export const webhookService = senderService({
  channel: 'webhook',
  spec: () => ({ sender: new WebhookSender(), targetOf: webhookTargetOf, describeDestination: describeWebhookDestination }),
});
