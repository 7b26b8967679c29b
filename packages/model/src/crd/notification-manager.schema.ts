import { z } from 'zod';
import {
  ConfigmapKeySelectorSchema,
  DurationSchema,
  LabelSelectorSchema,
  NM_API_VERSION,
  ObjectMetaSchema,
  StringMapSchema,
} from './common.schema.js';
import { WebhookReceiverSchema } from './receiver.schema.js';

/** `NotificationManager` (reference §1.3) plus our timing extensions. */

export const ROUTE_POLICIES = ['All', 'RouterFirst', 'RouterOnly'] as const;
export type RoutePolicy = (typeof ROUTE_POLICIES)[number];

export const AGGREGATION_MODES = ['batch', 'stateful', 'auto'] as const;
export type AggregationMode = (typeof AGGREGATION_MODES)[number];

const optionCommon = {
  /** Integer seconds. */
  notificationTimeout: z.number().int().optional(),
  template: z.string().optional(),
  /** Extension: default language of this channel. */
  language: z.string().optional(),
};

const ThrottleSchema = z.looseObject({
  threshold: z.number().int().optional(),
  unit: DurationSchema.optional(),
  maxWaitTime: DurationSchema.optional(),
});

export const ReceiverOptionsSchema = z.looseObject({
  global: z
    .looseObject({
      template: z.string().optional(),
      cluster: z.string().optional(),
      templateFile: z.array(z.string()).optional(),
      language: z.string().optional(),
    })
    .optional(),
  email: z
    .looseObject({
      ...optionCommon,
      subjectTemplate: z.string().optional(),
      tmplType: z.string().optional(),
      maxEmailReceivers: z.number().int().optional(),
      deliveryType: z.string().optional(),
    })
    .optional(),
  wechat: z
    .looseObject({
      ...optionCommon,
      tmplType: z.string().optional(),
      messageMaxSize: z.number().int().optional(),
      tokenExpires: DurationSchema.optional(),
    })
    .optional(),
  slack: z.looseObject({ ...optionCommon }).optional(),
  webhook: z.looseObject({ ...optionCommon }).optional(),
  dingtalk: z
    .looseObject({
      ...optionCommon,
      titleTemplate: z.string().optional(),
      tmplType: z.string().optional(),
      tokenExpires: DurationSchema.optional(),
      conversationMessageMaxSize: z.number().int().optional(),
      chatbotMessageMaxSize: z.number().int().optional(),
      chatBotThrottle: ThrottleSchema.optional(),
      conversationThrottle: ThrottleSchema.optional(),
    })
    .optional(),
  sms: z.looseObject({ ...optionCommon }).optional(),
  pushover: z.looseObject({ ...optionCommon, titleTemplate: z.string().optional() }).optional(),
  feishu: z
    .looseObject({
      ...optionCommon,
      tmplType: z.string().optional(),
      tokenExpires: DurationSchema.optional(),
    })
    .optional(),
  discord: z.looseObject({ ...optionCommon }).optional(),
  telegram: z.looseObject({ ...optionCommon }).optional(),
  teams: z.looseObject({ ...optionCommon, titleTemplate: z.string().optional() }).optional(),
  pagerduty: z.looseObject({ ...optionCommon, titleTemplate: z.string().optional() }).optional(),
  opsgenie: z.looseObject({ ...optionCommon, titleTemplate: z.string().optional() }).optional(),
  googlechat: z.looseObject({ ...optionCommon }).optional(),
});
export type ReceiverOptions = z.infer<typeof ReceiverOptionsSchema>;

export const AggregationSchema = z.looseObject({
  mode: z.enum(AGGREGATION_MODES).optional(),
  groupWait: DurationSchema.optional(),
  groupInterval: DurationSchema.optional(),
  repeatInterval: DurationSchema.optional(),
  resolveTimeout: DurationSchema.optional(),
  /** Stateful mode: notify resolved alerts (default true, like notification-manager, which notifies every alert). */
  sendResolved: z.boolean().optional(),
});
export type Aggregation = z.infer<typeof AggregationSchema>;

export const NotificationManagerSpecSchema = z.looseObject({
  image: z.string().optional(),
  imagePullPolicy: z.string().optional(),
  replicas: z.number().int().optional(),
  resources: z.unknown().optional(),
  nodeSelector: StringMapSchema.optional(),
  affinity: z.unknown().optional(),
  tolerations: z.unknown().optional(),
  serviceAccountName: z.string().optional(),
  portName: z.string().optional(),
  env: z.unknown().optional(),
  volumes: z.unknown().optional(),
  volumeMounts: z.unknown().optional(),
  args: z.array(z.string()).optional(),
  annotations: StringMapSchema.optional(),
  labels: StringMapSchema.optional(),
  defaultConfigSelector: LabelSelectorSchema.optional(),
  defaultSecretNamespace: z.string().optional(),
  receivers: z.looseObject({
    tenantKey: z.string().min(1),
    globalReceiverSelector: LabelSelectorSchema.optional(),
    tenantReceiverSelector: LabelSelectorSchema.optional(),
    options: ReceiverOptionsSchema.optional(),
  }),
  /** Container specs keyed by sidecar type; only `tenant` is used upstream. */
  sidecars: z.record(z.string(), z.unknown()).optional(),
  history: z.looseObject({ webhook: WebhookReceiverSchema.optional() }).optional(),
  groupLabels: z.array(z.string()).optional(),
  batchMaxSize: z.number().int().min(1).optional(),
  batchMaxWait: DurationSchema.optional(),
  routePolicy: z.enum(ROUTE_POLICIES).optional(),
  template: z
    .looseObject({
      text: ConfigmapKeySelectorSchema.optional(),
      reloadCycle: DurationSchema.optional(),
      languagePack: z.array(ConfigmapKeySelectorSchema).optional(),
      language: z.string().optional(),
    })
    .optional(),
  /** Extension: IANA time zone for Silence schedules (default: the process time zone, as upstream). */
  timeZone: z.string().optional(),
  /** Extension: Alertmanager-grade aggregation timing. */
  aggregation: AggregationSchema.optional(),
});
export type NotificationManagerSpec = z.infer<typeof NotificationManagerSpecSchema>;

export const NotificationManagerSchema = z.looseObject({
  apiVersion: z.literal(NM_API_VERSION),
  kind: z.literal('NotificationManager'),
  metadata: ObjectMetaSchema,
  spec: NotificationManagerSpecSchema,
});
export type NotificationManager = z.infer<typeof NotificationManagerSchema>;
