/**
 * The webhook sender service: `WebhookSender` and the request target a Receiver's webhook section
 * makes (`webhook.target.ts`); `@nm/sender-kit` does dedup, history and retries. It also posts
 * the history webhook (`NotificationManager.spec.history.webhook`, a webhook receiver like the
 * others; `startHistoryWebhook` of sender-kit).
 */
import { WebhookSender } from '@nm/channels';
import { HistoryWebhookEnvSchema, senderService, startHistoryWebhook, type HistoryWebhookEnv } from '@nm/sender-kit';
import type { ServiceDefinition } from '@nm/service-kit';
import { describeWebhookDestination, webhookTargetOf } from './webhook.target.js';

const sender = senderService({
  channel: 'webhook',
  spec: () => ({ sender: new WebhookSender(), targetOf: webhookTargetOf, describeDestination: describeWebhookDestination }),
});

export const webhookService: ServiceDefinition = {
  ...sender,
  env: sender.env.extend(HistoryWebhookEnvSchema.shape),
  start: async (rt, env) => {
    const handle = await sender.start(rt, env);
    const history = await startHistoryWebhook(rt, {
      // one POST per attempt: the four attempts are the consumer's, not the sender's inline retry
      sender: new WebhookSender({ retry: { attempts: 1 } }),
      targetOf: webhookTargetOf,
      retryDelayMs: (env as HistoryWebhookEnv).NM_HISTORY_WEBHOOK_RETRY_DELAY,
    });
    return {
      stop: async () => {
        await history.stop();
        await handle.stop();
      },
    };
  },
};
