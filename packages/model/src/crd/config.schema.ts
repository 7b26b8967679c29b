import { z } from 'zod';
import {
  CredentialSchema,
  NM_API_VERSION,
  ObjectMetaSchema,
  StringMapSchema,
  TLSConfigSchema,
} from './common.schema.js';

/** Config channel sections (reference §1.4): sender-side settings and credentials. */

const configSectionCommon = {
  /** Present upstream and unused. */
  labels: StringMapSchema.optional(),
  /** Extension: default language for receivers that use this Config. */
  language: z.string().optional(),
};

export const DingTalkConfigSchema = z.looseObject({
  ...configSectionCommon,
  conversation: z
    .looseObject({ appkey: CredentialSchema.optional(), appsecret: CredentialSchema.optional() })
    .optional(),
});

export const EmailConfigSchema = z.looseObject({
  ...configSectionCommon,
  from: z.string(),
  smartHost: z.looseObject({ host: z.string(), port: z.number().int() }),
  hello: z.string().optional(),
  authUsername: z.string().optional(),
  authIdentify: z.string().optional(),
  authPassword: CredentialSchema.optional(),
  authSecret: CredentialSchema.optional(),
  requireTLS: z.boolean().optional(),
  tls: TLSConfigSchema.optional(),
});

export const SlackConfigSchema = z.looseObject({
  ...configSectionCommon,
  slackTokenSecret: CredentialSchema.optional(),
});

/** An empty placeholder upstream. */
export const WebhookConfigSchema = z.looseObject({ ...configSectionCommon });

export const WechatConfigSchema = z.looseObject({
  ...configSectionCommon,
  wechatApiUrl: z.string().optional(),
  wechatApiCorpId: z.string(),
  wechatApiAgentId: z.string(),
  wechatApiSecret: CredentialSchema,
});

export const SMS_PROVIDERS = ['aliyun', 'tencent', 'huawei', 'aws'] as const;

export const SmsConfigSchema = z.looseObject({
  ...configSectionCommon,
  defaultProvider: z.string().optional(),
  providers: z.looseObject({
    aliyun: z
      .looseObject({
        signName: z.string().optional(),
        templateCode: z.string().optional(),
        accessKeyId: CredentialSchema.optional(),
        accessKeySecret: CredentialSchema.optional(),
      })
      .optional(),
    tencent: z
      .looseObject({
        sign: z.string().optional(),
        templateID: z.string().optional(),
        smsSdkAppid: z.string().optional(),
        secretId: CredentialSchema.optional(),
        secretKey: CredentialSchema.optional(),
      })
      .optional(),
    huawei: z
      .looseObject({
        url: z.string().optional(),
        signature: z.string().optional(),
        templateId: z.string().optional(),
        sender: z.string().optional(),
        appKey: CredentialSchema.optional(),
        appSecret: CredentialSchema.optional(),
      })
      .optional(),
    aws: z
      .looseObject({
        region: z.string().optional(),
        accessKeyId: CredentialSchema.optional(),
        secretAccessKey: CredentialSchema.optional(),
      })
      .optional(),
  }),
});

export const PushoverConfigSchema = z.looseObject({
  ...configSectionCommon,
  pushoverTokenSecret: CredentialSchema.optional(),
});

export const FeishuConfigSchema = z.looseObject({
  ...configSectionCommon,
  appID: CredentialSchema.optional(),
  appSecret: CredentialSchema.optional(),
});

export const TelegramConfigSchema = z.looseObject({
  ...configSectionCommon,
  telegramTokenSecret: CredentialSchema.optional(),
});

/** Extension: the Opsgenie API key (an API integration's key), sent as `Authorization: GenieKey <key>`. */
export const OpsgenieConfigSchema = z.looseObject({
  ...configSectionCommon,
  apiKey: CredentialSchema.optional(),
});

export const ConfigSpecSchema = z.looseObject({
  dingtalk: DingTalkConfigSchema.optional(),
  email: EmailConfigSchema.optional(),
  slack: SlackConfigSchema.optional(),
  webhook: WebhookConfigSchema.optional(),
  wechat: WechatConfigSchema.optional(),
  sms: SmsConfigSchema.optional(),
  pushover: PushoverConfigSchema.optional(),
  feishu: FeishuConfigSchema.optional(),
  telegram: TelegramConfigSchema.optional(),
  opsgenie: OpsgenieConfigSchema.optional(),
});

export const ConfigSchema = z.looseObject({
  apiVersion: z.literal(NM_API_VERSION),
  kind: z.literal('Config'),
  metadata: ObjectMetaSchema,
  spec: ConfigSpecSchema,
});

export type DingTalkConfig = z.infer<typeof DingTalkConfigSchema>;
export type EmailConfig = z.infer<typeof EmailConfigSchema>;
export type SlackConfig = z.infer<typeof SlackConfigSchema>;
export type WebhookConfig = z.infer<typeof WebhookConfigSchema>;
export type WechatConfig = z.infer<typeof WechatConfigSchema>;
export type SmsConfig = z.infer<typeof SmsConfigSchema>;
export type PushoverConfig = z.infer<typeof PushoverConfigSchema>;
export type FeishuConfig = z.infer<typeof FeishuConfigSchema>;
export type TelegramConfig = z.infer<typeof TelegramConfigSchema>;
export type OpsgenieConfig = z.infer<typeof OpsgenieConfigSchema>;
export type ConfigSpec = z.infer<typeof ConfigSpecSchema>;
export type Config = z.infer<typeof ConfigSchema>;
