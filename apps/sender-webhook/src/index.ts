export { webhookService } from './service.js';
export { describeWebhookDestination, webhookTargetOf } from './webhook.target.js';
