/**
 * `@nm/channels`: one small sender class per channel behind `ChannelSender`, plus the shared
 * machinery (splitting, token cache, rate limiter, error classification, delivery results).
 */
export type {
  ChannelSender,
  DeliveryOutcome,
  OutcomeStatus,
  OutgoingMessage,
  RenderFn,
  Rendered,
  RenderedChunk,
  SendContext,
  SendResult,
} from './channel.types.js';
export {
  TOKEN_EXPIRED_CODES,
  classifyHttpError,
  classifySmtpError,
  classifyVendorError,
  parseRetryAfter,
  retryAfterMax,
  retryAfterMaxFromEnv,
  setRetryAfterMax,
} from './channel.errors.js';
export type { HttpFailure } from './channel.errors.js';
export {
  DEFAULT_INLINE_RETRY,
  deliveredKeysOf,
  failureOf,
  runUnits,
  unitsFor,
} from './delivery.runner.js';
export type { DeliveryUnit, InlineRetryPolicy, RunOptions, UnitSuccess } from './delivery.runner.js';
export {
  splitMessage,
  splitUtf8Text,
  truncateUtf8,
  truncateVisibly,
  truncationMarker,
  utf8Length,
} from './message.splitter.js';
export type { MessageChunk, SplitOptions } from './message.splitter.js';
export { MemoryTokenCache, RedisTokenCache, tokenTtlSec, withTokenRefresh } from './token.cache.js';
export type { FetchedToken, RedisTokenCacheOptions, TokenCache, TokenCacheOptions } from './token.cache.js';
export { MemoryRateLimiter, RedisRateLimiter, throttle } from './rate.limiter.js';
export type { AcquireOptions, RateLimit, RateLimiter } from './rate.limiter.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { DEFAULT_MAX_RESPONSE_BYTES, createHttpClient, httpRequest, maxResponseBytesFromEnv, redactUrl } from './http.client.js';
export {
  BUILT_IN_EGRESS_DENY,
  EGRESS_DENIED_CODE,
  EgressDeniedError,
  EgressGuard,
  GuardedHttpAgent,
  GuardedHttpsAgent,
  canonicalAddress,
  connectTunnel,
  defaultEgressGuard,
  egressGuardFromEnv,
  guardedSocket,
  parseCidrList,
  selfEndpointsFromEnv,
  setDefaultEgressGuard,
} from './egress.js';
export type { EgressConnector, EgressDenialKind, EgressEnv, EgressGuardOptions, EgressResolver, ResolvedAddress, SelfEndpoint, TunnelProxy } from './egress.js';
export { VendorTokenClient, gettokenApi, parseErrcodeReply, vendorResult, withAccessTokenQuery } from './vendor.token.client.js';
export type { AppCredentials, CallOptions, ErrcodeReply, TokenApi, TokenVendor, VendorReply } from './vendor.token.client.js';
export type { HttpClientOptions, HttpReply, HttpRequest } from './http.client.js';
export {
  DEFAULT_DINGTALK_API_URL,
  DEFAULT_FEISHU_API_URL,
  DEFAULT_PUSHOVER_API_URL,
  DEFAULT_SLACK_API_URL,
  DEFAULT_TELEGRAM_API_URL,
  DEFAULT_WECHAT_API_URL,
  LARK_API_URL,
  ChannelUrlEnvSchema,
  apiUrlVariable,
} from './channel.urls.js';
export { HttpChannelSender, TokenChannelSender } from './http.sender.js';
export type { HttpSenderOptions, RateLimitedSenderOptions, TokenSenderOptions } from './http.sender.js';
export { EmailSender, smtpTransportOptions } from './email.sender.js';
export type { EmailDelivery, EmailSenderOptions, EmailTarget, EmailTlsConfig, EmailTransportConfig } from './email.sender.js';
export { SlackSender } from './slack.sender.js';
export type { SlackSenderOptions, SlackTarget } from './slack.sender.js';
export { WechatSender } from './wechat.sender.js';
export type { WechatSenderOptions, WechatTarget } from './wechat.sender.js';
export type { WechatAppConfig } from './wechat.app.js';
export { DingtalkSender, dingtalkSign } from './dingtalk.sender.js';
export type { DingtalkChatbot, DingtalkLimits, DingtalkSenderOptions, DingtalkTarget } from './dingtalk.sender.js';
export type { DingtalkApp } from './dingtalk.conversation.js';
export { FeishuSender } from './feishu.sender.js';
export type { FeishuChatbot, FeishuSenderOptions, FeishuTarget } from './feishu.sender.js';
export type { FeishuApp } from './feishu.app.js';
export { feishuSign } from './feishu.post.js';
export type { FeishuFormat } from './feishu.post.js';
export { DEFAULT_WEBHOOK_TIMEOUT_MS, WebhookSender, webhookUrl } from './webhook.sender.js';
export type { WebhookHttpConfig, WebhookSenderOptions, WebhookServiceRef, WebhookTarget, WebhookTlsConfig } from './webhook.sender.js';
export { splitChars, splitMessageByChars, truncateChars, truncateCharsVisibly } from './char.splitter.js';
export type { CharSplitOptions } from './char.splitter.js';
export { PUSHOVER_EMERGENCY, PUSHOVER_MAX_MESSAGE_CHARS, PUSHOVER_MAX_TITLE_CHARS, PushoverSender, maskUserKey } from './pushover.sender.js';
export type { PushoverProfile, PushoverSenderOptions, PushoverTarget } from './pushover.sender.js';
export { DISCORD_MAX_CONTENT_CHARS, DISCORD_MAX_EMBED_DESCRIPTION_CHARS, DiscordSender, discordMentions } from './discord.sender.js';
export type { DiscordMessageType, DiscordSenderOptions, DiscordTarget } from './discord.sender.js';
export { TELEGRAM_MAX_TEXT_CHARS, TelegramSender, telegramMentions } from './telegram.sender.js';
export type { TelegramSenderOptions, TelegramTarget } from './telegram.sender.js';
export { SmsSender, SmsUrlEnvSchema } from './sms.sender.js';
export type { SmsSenderOptions, SmsTarget } from './sms.sender.js';
export {
  DEFAULT_ALIYUN_SMS_URL,
  DEFAULT_AWS_SNS_URL,
  DEFAULT_HUAWEI_SMS_URL,
  DEFAULT_TENCENT_SMS_URL,
  SMS_BATCH_SIZE,
  SMS_PROVIDERS,
  awsSnsUrl,
  huaweiNumber,
  huaweiTemplateParas,
} from './sms.providers.js';
export type { AliyunSmsProvider, AwsSmsProvider, HuaweiSmsProvider, SmsProvider, SmsProviderName, TencentSmsProvider } from './sms.providers.js';
export {
  HUAWEI_WSSE_AUTHORIZATION,
  aliyunRpcSignature,
  amzDate,
  canonicalQuery,
  huaweiCreated,
  huaweiPasswordDigest,
  huaweiWsseHeader,
  percentEncode,
  sigV4Authorization,
  tc3Authorization,
} from './sms.signing.js';
export type { SigV4Input, Tc3Input } from './sms.signing.js';
export { DEFAULT_OPSGENIE_API_URL, DEFAULT_PAGERDUTY_API_URL } from './channel.urls.js';
export { TEAMS_MAX_BYTES, TeamsSender, teamsCard } from './teams.sender.js';
export type { TeamsSenderOptions, TeamsTarget } from './teams.sender.js';
export { GOOGLECHAT_MAX_CHARS, GoogleChatSender } from './googlechat.sender.js';
export type { GoogleChatSenderOptions, GoogleChatTarget } from './googlechat.sender.js';
export { PAGERDUTY_DEDUP_KEY_MAX_CHARS, PAGERDUTY_MAX_EVENT_BYTES, PAGERDUTY_SUMMARY_MAX_CHARS, PagerDutySender, pagerdutySeverity } from './pagerduty.sender.js';
export type { PagerDutySenderOptions, PagerDutySeverity, PagerDutyTarget } from './pagerduty.sender.js';
export { OPSGENIE_LIMITS, OpsgenieSender } from './opsgenie.sender.js';
export type { OpsgenieResponder, OpsgenieSenderOptions, OpsgenieTarget } from './opsgenie.sender.js';
export { cutChars, incidentKey, wholeMessage } from './incident.common.js';
export type { IncidentStatus, WholeMessage } from './incident.common.js';
