import { z } from 'zod';
import type { ConfigmapKeySelector, LabelSelector } from './common.schema.js';
import {
  CredentialSchema,
  HTTPClientConfigSchema,
  LabelSelectorSchema,
  NM_API_VERSION,
  ObjectMetaSchema,
  ServiceReferenceSchema,
  receiverSectionCommon,
} from './common.schema.js';

/** Receiver channel sections (reference §1.5). Each non-null section is one internal receiver. */

export const DingTalkReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  dingtalkConfigSelector: LabelSelectorSchema.optional(),
  titleTemplate: z.string().optional(),
  tmplType: z.string().optional(),
  conversation: z.looseObject({ chatids: z.array(z.string()).optional() }).optional(),
  chatbot: z
    .looseObject({
      webhook: CredentialSchema,
      keywords: z.array(z.string()).optional(),
      secret: CredentialSchema.optional(),
      atMobiles: z.array(z.string()).optional(),
      atUsers: z.array(z.string()).optional(),
      atAll: z.boolean().optional(),
    })
    .optional(),
});

/** How an email reaches several recipients: one message each (`single`) or one for all (`bulk`). */
export const EMAIL_DELIVERY_TYPES = ['single', 'bulk'] as const;

export const EmailReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  emailConfigSelector: LabelSelectorSchema.optional(),
  subjectTemplate: z.string().optional(),
  tmplType: z.string().optional(),
  to: z.array(z.string()),
  /**
   * Extension: `single` (default) sends each recipient a message of its own, so no recipient sees
   * the others; `bulk` sends one message to all of them. Overrides `options.email.deliveryType`.
   */
  deliveryType: z.enum(EMAIL_DELIVERY_TYPES).optional(),
});

export const SlackReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  slackConfigSelector: LabelSelectorSchema.optional(),
  /** Channels for chat.postMessage with the Config's bot token; optional when `webhook` is set. */
  channels: z.array(z.string()).optional(),
  /** Extension: a Slack incoming-webhook URL (needs no Config). */
  webhook: CredentialSchema.optional(),
});

export const WebhookReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  webhookConfigSelector: LabelSelectorSchema.optional(),
  url: z.string().optional(),
  service: ServiceReferenceSchema.optional(),
  httpConfig: HTTPClientConfigSchema.optional(),
  /** Extension: HTTP method (default POST). */
  method: z.string().optional(),
  /** Extension: extra request headers. */
  headers: z.record(z.string(), z.string()).optional(),
});

export const WechatReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  wechatConfigSelector: LabelSelectorSchema.optional(),
  tmplType: z.string().optional(),
  toUser: z.array(z.string()).optional(),
  toParty: z.array(z.string()).optional(),
  toTag: z.array(z.string()).optional(),
  chatbot: z
    .looseObject({
      webhook: CredentialSchema,
      atUsers: z.array(z.string()).optional(),
      atMobiles: z.array(z.string()).optional(),
    })
    .optional(),
});

export const SmsReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  smsConfigSelector: LabelSelectorSchema.optional(),
  phoneNumbers: z.array(z.string()),
});

export const PUSHOVER_SOUNDS = [
  'pushover', 'bike', 'bugle', 'cashregister', 'classical', 'cosmic', 'falling', 'gamelan',
  'incoming', 'intermission', 'magic', 'mechanical', 'pianobar', 'siren', 'spacealarm',
  'tugboat', 'alien', 'climb', 'persistent', 'echo', 'updown', 'vibrate', 'none',
] as const;

export const PushoverReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  pushoverConfigSelector: LabelSelectorSchema.optional(),
  titleTemplate: z.string().optional(),
  profiles: z.array(
    z.looseObject({
      userKey: z.string(),
      devices: z.array(z.string()).optional(),
      sound: z.string().optional(),
      /** Deprecated upstream; kept for compatibility. */
      title: z.string().optional(),
      /** Extension: Pushover priority, -2 (lowest) … 2 (emergency, repeated until acknowledged). */
      priority: z.number().int().optional(),
    }),
  ),
});

export const FeishuReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  feishuConfigSelector: LabelSelectorSchema.optional(),
  tmplType: z.string().optional(),
  user: z.array(z.string()).optional(),
  department: z.array(z.string()).optional(),
  chatbot: z
    .looseObject({
      webhook: CredentialSchema,
      keywords: z.array(z.string()).optional(),
      secret: CredentialSchema.optional(),
    })
    .optional(),
});

export const DiscordReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  webhook: CredentialSchema,
  type: z.string().optional(),
  mentionedUsers: z.array(z.string()).optional(),
  mentionedRoles: z.array(z.string()).optional(),
});

export const TelegramReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  telegramConfigSelector: LabelSelectorSchema.optional(),
  channels: z.array(z.string()),
  mentionedUsers: z.array(z.string()).optional(),
});

/** Extension: Microsoft Teams through a Workflows (or legacy incoming) webhook, as an Adaptive Card. Needs no Config. */
export const TeamsReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  /** The webhook URL (it carries its own signature, so it is a Credential). */
  webhook: CredentialSchema,
  /** The card's heading (default `nm.default.subject`). */
  titleTemplate: z.string().optional(),
});

/** Extension: a Google Chat space webhook, as a text message. Needs no Config. */
export const GoogleChatReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  /** The space webhook URL (its `key` and `token` query parameters are secret, so it is a Credential). */
  webhook: CredentialSchema,
});

export const PAGERDUTY_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;

/** Extension: PagerDuty Events API v2 (trigger on firing, resolve on resolved, dedup key = the group key). Needs no Config. */
export const PagerDutyReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  /** The integration (routing) key of a PagerDuty service's Events API v2 integration. */
  routingKey: CredentialSchema,
  /** The event's summary (default `nm.default.subject`), cut to 1024 characters. */
  titleTemplate: z.string().optional(),
  /** Severity when no alert has a `severity` label PagerDuty knows (default `error`). */
  severity: z.string().optional(),
  /** `payload.source` (default the alert's `cluster`, `instance` or `namespace`, else `notification-manager`). */
  source: z.string().optional(),
  component: z.string().optional(),
  group: z.string().optional(),
  class: z.string().optional(),
  client: z.string().optional(),
  clientURL: z.string().optional(),
});

export const OPSGENIE_PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'] as const;
export const OPSGENIE_RESPONDER_TYPES = ['team', 'user', 'escalation', 'schedule'] as const;

/** Extension: Opsgenie alerts (create on firing, close on resolved, alias = the group key), with the API key of its Config. */
export const OpsgenieReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  opsgenieConfigSelector: LabelSelectorSchema.optional(),
  /** The alert's message (default `nm.default.subject`), cut to 130 characters. */
  titleTemplate: z.string().optional(),
  /** Who is notified: each by `id`, `name` or (users) `username`, and its `type`. */
  responders: z
    .array(
      z.looseObject({
        type: z.string(),
        id: z.string().optional(),
        name: z.string().optional(),
        username: z.string().optional(),
      }),
    )
    .optional(),
  tags: z.array(z.string()).optional(),
  /** P1 (highest) … P5; default Opsgenie's P3. */
  priority: z.string().optional(),
  entity: z.string().optional(),
  source: z.string().optional(),
});

export const ReceiverSpecSchema = z.looseObject({
  dingtalk: DingTalkReceiverSchema.optional(),
  email: EmailReceiverSchema.optional(),
  slack: SlackReceiverSchema.optional(),
  webhook: WebhookReceiverSchema.optional(),
  wechat: WechatReceiverSchema.optional(),
  sms: SmsReceiverSchema.optional(),
  pushover: PushoverReceiverSchema.optional(),
  feishu: FeishuReceiverSchema.optional(),
  discord: DiscordReceiverSchema.optional(),
  telegram: TelegramReceiverSchema.optional(),
  teams: TeamsReceiverSchema.optional(),
  pagerduty: PagerDutyReceiverSchema.optional(),
  opsgenie: OpsgenieReceiverSchema.optional(),
  googlechat: GoogleChatReceiverSchema.optional(),
});

export const ReceiverSchema = z.looseObject({
  apiVersion: z.literal(NM_API_VERSION),
  kind: z.literal('Receiver'),
  metadata: ObjectMetaSchema,
  spec: ReceiverSpecSchema,
});

export type DingTalkReceiver = z.infer<typeof DingTalkReceiverSchema>;
export type EmailReceiver = z.infer<typeof EmailReceiverSchema>;
export type SlackReceiver = z.infer<typeof SlackReceiverSchema>;
export type WebhookReceiver = z.infer<typeof WebhookReceiverSchema>;
export type WechatReceiver = z.infer<typeof WechatReceiverSchema>;
export type SmsReceiver = z.infer<typeof SmsReceiverSchema>;
export type PushoverReceiver = z.infer<typeof PushoverReceiverSchema>;
export type FeishuReceiver = z.infer<typeof FeishuReceiverSchema>;
export type DiscordReceiver = z.infer<typeof DiscordReceiverSchema>;
export type TelegramReceiver = z.infer<typeof TelegramReceiverSchema>;
export type TeamsReceiver = z.infer<typeof TeamsReceiverSchema>;
export type GoogleChatReceiver = z.infer<typeof GoogleChatReceiverSchema>;
export type PagerDutyReceiver = z.infer<typeof PagerDutyReceiverSchema>;
export type OpsgenieReceiver = z.infer<typeof OpsgenieReceiverSchema>;
export type ReceiverSpec = z.infer<typeof ReceiverSpecSchema>;
export type Receiver = z.infer<typeof ReceiverSchema>;

/** The fields every receiver section shares, for code that handles any channel generically. */
export interface ReceiverSectionCommon {
  enabled?: boolean | undefined;
  alertSelector?: LabelSelector | undefined;
  template?: string | undefined;
  tmplText?: ConfigmapKeySelector | undefined;
  language?: string | undefined;
  [key: string]: unknown;
}
