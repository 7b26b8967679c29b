export { freePort, waitFor, sleep } from './free-port.js';
export { startNats } from './nats.server.js';
export type { PrivateNats } from './nats.server.js';
export { startRedis } from './redis.server.js';
export type { PrivateRedis } from './redis.server.js';
export { startWebhookSink } from './webhook.sink.js';
export type { WebhookSink, SinkRequest, SinkResponse, SinkResponder } from './webhook.sink.js';
export { buildAlert, webhookPayload } from './alert.builders.js';
export type { PostableAlert } from './alert.builders.js';
