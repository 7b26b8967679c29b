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

export const EmailReceiverSchema = z.looseObject({
  ...receiverSectionCommon,
  emailConfigSelector: LabelSelectorSchema.optional(),
  subjectTemplate: z.string().optional(),
  tmplType: z.string().optional(),
  to: z.array(z.string()),
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
