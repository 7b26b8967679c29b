export { startWebhookSender, webhookTargetOf } from './service.js';
export type { WebhookServiceOptions } from './service.js';
