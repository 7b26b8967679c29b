/** Public shapes of the vendor fake. */
import type { FakeIncident, IncidentVendor } from './incident.book.js';

export type { FakeIncident, IncidentVendor } from './incident.book.js';

export const ROUTES = [
  'slack.postMessage',
  'slack.webhook',
  'wecom.gettoken',
  'wecom.send',
  'wecom.bot',
  'dingtalk.robot',
  'dingtalk.gettoken',
  'dingtalk.chat',
  'feishu.bot',
  'feishu.token',
  'feishu.batch',
  'aliyun.sendSms',
  'tencent.sendSms',
  'huawei.batchSendSms',
  'aws.publish',
  'pushover.messages',
  'discord.webhook',
  'telegram.sendMessage',
  'teams.webhook',
  'googlechat.webhook',
  'pagerduty.enqueue',
  'opsgenie.create',
  'opsgenie.close',
] as const;
export type RouteName = (typeof ROUTES)[number];
/** The SMS providers the fake plays. */
export type SmsVendor = 'aliyun' | 'tencent' | 'huawei' | 'aws';
export type Vendor = SmsVendor | 'slack' | 'wecom' | 'dingtalk' | 'feishu' | 'pushover' | 'discord' | 'telegram' | 'teams' | 'googlechat' | 'pagerduty' | 'opsgenie';

export interface RateWindow {
  limit: number;
  windowMs: number;
}

/** One SMS provider in the fake. */
export interface SmsProviderFake {
  /** Access key id → secret (Aliyun AccessKeyId, Tencent SecretId, Huawei appKey, AWS access key id); others are refused. */
  keys?: Record<string, string>;
  /** Numbers the provider refuses, as sent (Huawei and SNS numbers carry their `+`). */
  failNumbers?: string[];
  /** Sends per number and window before the provider's flow-control answer; default none. */
  numberRateLimit?: RateWindow | false;
}

export interface VendorFakeOptions {
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Clock for token expiry, signature windows and rate windows (default Date.now). */
  now?: () => number;
  slack?: {
    /** Accepted bot tokens; when unset any non-empty token is accepted. */
    tokens?: string[];
    /** Known channels; when unset any channel exists. */
    channels?: string[];
    /** Known incoming-webhook paths after `/slack/services/` (e.g. `T1/B1/secret`); unset = any. */
    webhooks?: string[];
  };
  wecom?: {
    /** Accepted (corpId, secret) pairs for gettoken; unset = any non-empty pair. */
    apps?: { corpId: string; secret: string }[];
    /** Token lifetime announced and enforced, seconds (default 7200). */
    tokenTtlSec?: number;
    /** Known users/parties/tags; the others come back in invaliduser/invalidparty/invalidtag. */
    users?: string[];
    parties?: string[];
    tags?: string[];
    /** Known robot keys; unset = any. */
    botKeys?: string[];
    /** Robot rate limit per key (WeCom answers 45009); default none. */
    botRateLimit?: RateWindow | false;
  };
  dingtalk?: {
    /** Known robots by access_token, with the secret whose signature is required and keywords. */
    robots?: Record<string, { secret?: string; keywords?: string[] }>;
    /** Robot rate limit per access_token, answered with 130101 (default 20 per 60 s). */
    robotRateLimit?: RateWindow | false;
    apps?: { appKey: string; appSecret: string }[];
    tokenTtlSec?: number;
    /** Known chat ids; unset = any. */
    chats?: string[];
  };
  feishu?: {
    /** Known custom bots by hook id, with secret (signature required) and keywords. */
    bots?: Record<string, { secret?: string; keywords?: string[] }>;
    botRateLimit?: RateWindow | false;
    apps?: { appId: string; appSecret: string }[];
    tokenTtlSec?: number;
    users?: string[];
    departments?: string[];
  };
  pushover?: {
    /** Accepted application tokens; unset = any 30-character token. */
    tokens?: string[];
    /** Known user/group keys with their devices; unset = any 30-character key and any device. */
    users?: Record<string, string[]>;
  };
  discord?: {
    /** Known webhooks as `<id>/<token>` after `/discord/api/webhooks/`; unset = any. */
    webhooks?: string[];
  };
  telegram?: {
    /** Accepted bot tokens; unset = any `<digits>:<secret>` token. */
    tokens?: string[];
    /** Known chat ids and @channel names; unset = any. */
    chats?: string[];
  };
  teams?: {
    /** Known Workflows webhook ids (after `/teams/workflows/`) with the `sig` each requires (empty = none); unset = any. */
    webhooks?: Record<string, string>;
  };
  googlechat?: {
    /** Known spaces with the webhook `key` and `token` each requires; unset = any space with any non-empty pair. */
    spaces?: Record<string, { key: string; token: string }>;
  };
  pagerduty?: {
    /** Accepted Events API v2 routing keys; unset = any 32-character key. */
    routingKeys?: string[];
  };
  opsgenie?: {
    /** Accepted API keys (`Authorization: GenieKey <key>`); unset = any. */
    apiKeys?: string[];
  };
  /** SMS: Aliyun SendSms (RPC signature), Tencent SendSms (TC3), Huawei batchSendSms (WSSE), SNS Publish (SigV4). */
  aliyun?: SmsProviderFake;
  tencent?: SmsProviderFake;
  huawei?: SmsProviderFake;
  aws?: SmsProviderFake;
}

export interface RecordedRequest {
  route: RouteName | 'unknown';
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  rawBody: string;
  /** The body parsed as JSON, or undefined. */
  body: unknown;
  /** Arrival time (the fake's clock). */
  at: number;
  /** What the fake answered; `reset` when it destroyed the connection. */
  response: { status: number; body: unknown } | { reset: true };
  /** True when a script rule decided the answer. */
  scripted: boolean;
}

/** Scripts the next matching request(s) of a route. JSON-serialisable except `match`. */
export interface ScriptRule {
  route: RouteName;
  /** How many matching requests the rule applies to (default 1; use a large number for "always"). */
  times?: number;
  /** Only requests whose query/body have these top-level values. */
  where?: { query?: Record<string, string>; body?: Record<string, unknown> };
  /** Programmatic filter (library use only). */
  match?: (req: RecordedRequest) => boolean;
  /** Destroy the connection without answering. */
  reset?: boolean;
  /** Answer this late (with the scripted reply, or the normal one when nothing else is set). */
  delayMs?: number;
  /** A vendor error code in the vendor's own reply shape (errcode / code / ok:false). */
  error?: number | string;
  errmsg?: string;
  /** HTTP 429 with Retry-After and the vendor's rate-limit body. */
  retryAfterSec?: number;
  /** A raw reply; `body` is sent as JSON unless it is a string. */
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface VendorFakeUrls {
  /** `NM_SLACK_API_URL` value. */
  slackApi: string;
  /** WeCom `wechatApiUrl`. */
  wecomApi: string;
  /** `NM_DINGTALK_API_URL` value. */
  dingtalkApi: string;
  /** `NM_FEISHU_API_URL` value. */
  feishuApi: string;
  /** `NM_PUSHOVER_API_URL` value. */
  pushoverApi: string;
  /** `NM_TELEGRAM_API_URL` value. */
  telegramApi: string;
  /** `NM_ALIYUN_SMS_URL` value. */
  aliyunSms: string;
  /** `NM_TENCENT_SMS_URL` value. */
  tencentSms: string;
  /** `NM_AWS_SNS_URL` value (any region). */
  awsSns: string;
  /** Huawei Config `url` (batchSendSms). */
  huaweiSms: string;
  /** `NM_PAGERDUTY_API_URL` value. */
  pagerdutyApi: string;
  /** `NM_OPSGENIE_API_URL` value. */
  opsgenieApi: string;
}

export interface VendorFake {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly urls: VendorFakeUrls;
  /** Every request so far, oldest first (live array). */
  readonly requests: RecordedRequest[];
  requestsTo(route: RouteName): RecordedRequest[];
  script(rule: ScriptRule): void;
  /** Marks every token issued so far (by one vendor, or all) as expired. */
  expireTokens(vendor?: Vendor): void;
  /** Forgets requests, scripts, tokens and rate windows. */
  reset(): void;
  /** Webhook URLs for the configured chatbots. */
  slackWebhookUrl(path: string): string;
  wecomBotUrl(key: string): string;
  dingtalkRobotUrl(accessToken: string): string;
  feishuBotUrl(hookId: string): string;
  /** A Discord webhook URL for `<id>/<token>`. */
  discordWebhookUrl(path: string): string;
  /** A Teams Workflows webhook URL for `id` (with `sig` when given). */
  teamsWebhookUrl(id: string, sig?: string): string;
  /** A Google Chat space webhook URL. */
  googlechatWebhookUrl(space: string, key: string, token: string): string;
  /** PagerDuty and Opsgenie incidents (open and closed), oldest first; also at `GET /_fake/incidents?vendor=`. */
  incidents(vendor?: IncidentVendor): FakeIncident[];
  close(): Promise<void>;
}
