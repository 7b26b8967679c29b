export { AlertSchema, AlertStatusSchema, LabelSetSchema, ZERO_TIME } from './alert.schema.js';
export type { Alert, AlertStatus, LabelSet } from './alert.schema.js';
export { CHANNELS, isChannel } from './channels.js';
export type { Channel } from './channels.js';
export {
  subjects,
  headers,
  subjectToken,
  isPipelineSubject,
  fromSubjectToken,
  GLOBAL_TENANT,
  DEFAULT_TENANT,
  STAGES,
} from './subjects.js';
export type { Stage } from './subjects.js';
export { streams, consumers, senderConsumer, allStreams, allConsumers, streamsFromEnv, LEGACY_STREAMS, type StreamKey } from './streams.js';
export type { StreamDefinition, ConsumerDefinition } from './streams.js';
export {
  PAYLOAD_VERSION,
  ChannelSchema,
  AlertSourceSchema,
  IngestedBatchSchema,
  AdmittedBatchSchema,
  ReceiverRefSchema,
  RoutedBatchSchema,
  NotificationSchema,
  DeliveryResultSchema,
  HistoryRecordSchema,
  DeadLetterSchema,
  ApiOutcomeSchema,
  receiverKey,
  payloadShapes,
  payloadSchemaOf,
} from './payloads.js';
export { API_SEND_KINDS, ApiSendKindSchema, ApiSendSchema, HistoryAlertSchema } from './api.schema.js';
export type { ApiSend, ApiSendKind, HistoryAlert } from './api.schema.js';
export type {
  AlertSource,
  IngestedBatch,
  AdmittedBatch,
  ReceiverRef,
  RoutedBatch,
  Notification,
  DeliveryResult,
  HistoryRecord,
  DeadLetter,
  ApiOutcome,
} from './payloads.js';
