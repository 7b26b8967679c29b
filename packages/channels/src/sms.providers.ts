/**
 * One signed HTTP call per SMS provider (notification-manager §3.11, minus its §12 defects), each
 * reporting a result per phone number:
 * - Aliyun Dysmsapi `SendSms` (2017-05-25): RPC signature, `TemplateParam` built as JSON (so
 *   quotes and newlines are escaped), success only on `Code == "OK"`, one result for the batch;
 * - Tencent Cloud SMS `SendSms` (2021-01-11): TC3-HMAC-SHA256, one `SendStatusSet` entry per
 *   number (`Ok` compared case-insensitively), numbers sent as configured (no forced `+86`);
 * - Huawei `batchSendSms`: WSSE headers with a UTC `Created`, a status per number in `result`;
 * - AWS SNS `Publish`: SigV4, one number per call.
 */
import { randomUUID } from 'node:crypto';
import { PermanentError, RetryableError, type ClassifiedError } from '@nm/errors';
import { classifyHttpError, retryAfterMax, shortDetail } from './channel.errors.js';
import { excerpt, httpRequest, type HttpClient, type HttpReply } from './http.client.js';
import {
  HUAWEI_WSSE_AUTHORIZATION,
  aliyunRpcSignature,
  amzDate,
  canonicalQuery,
  huaweiCreated,
  huaweiWsseHeader,
  sigV4Authorization,
  tc3Authorization,
} from './sms.signing.js';

export const SMS_PROVIDERS = ['aliyun', 'tencent', 'huawei', 'aws'] as const;
export type SmsProviderName = (typeof SMS_PROVIDERS)[number];

export interface AliyunSmsProvider {
  provider: 'aliyun';
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  templateCode: string;
}

export interface TencentSmsProvider {
  provider: 'tencent';
  secretId: string;
  secretKey: string;
  smsSdkAppId: string;
  sign: string;
  templateId: string;
  /** `X-TC-Region` (default `ap-guangzhou`). */
  region?: string;
}

export interface HuaweiSmsProvider {
  provider: 'huawei';
  /** Full `batchSendSms` URL (the Config's `url`; default Huawei's cn-north-1 address). */
  url?: string;
  appKey: string;
  appSecret: string;
  /** The channel number (`from`). */
  sender: string;
  templateId: string;
  signature?: string;
}

export interface AwsSmsProvider {
  provider: 'aws';
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export type SmsProvider = AliyunSmsProvider | TencentSmsProvider | HuaweiSmsProvider | AwsSmsProvider;

export const DEFAULT_ALIYUN_SMS_URL = 'https://dysmsapi.aliyuncs.com/';
export const DEFAULT_TENCENT_SMS_URL = 'https://sms.tencentcloudapi.com/';
/** `{region}` is replaced by the Config's region. */
export const DEFAULT_AWS_SNS_URL = 'https://sns.{region}.amazonaws.com/';
export const DEFAULT_HUAWEI_SMS_URL = 'https://rtcsms.cn-north-1.myhuaweicloud.com:10743/sms/batchSendSms/v1';

/** Numbers per call: Aliyun 1000, Tencent 200, Huawei 500, SNS one. */
export const SMS_BATCH_SIZE: Readonly<Record<SmsProviderName, number>> = { aliyun: 1000, tencent: 200, huawei: 500, aws: 1 };

export type NumberResult = { ok: true; id?: string } | { ok: false; error: ClassifiedError };

/** What a provider call needs from the sender. */
export interface CallContext {
  http: HttpClient;
  now: () => number;
  nonce: () => string;
  urls: { aliyun: string; tencent: string; aws: string };
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

/** POSTs a body sent byte for byte as signed; transport failures reject with a classified error. */
const post = (ctx: CallContext, url: string, body: string, headers: Record<string, string>, vendor: string): Promise<HttpReply> =>
  httpRequest(ctx.http, { method: 'POST', url, rawBody: body, headers, ...(ctx.signal ? { signal: ctx.signal } : {}), timeoutMs: ctx.timeoutMs }, vendor);

const all = (numbers: readonly string[], r: NumberResult): Map<string, NumberResult> => new Map(numbers.map((n) => [n, r]));

/**
 * A vendor code: retryable (with a wait, when it names one, capped like every Retry-After) or
 * permanent. As for the other vendors, a code that is not code-like becomes `unrecognised` and the
 * vendor's words are kept only when short (they land in history).
 */
function vendorError(vendor: string, code: string, message: string, retryable: Readonly<Record<string, number | null>>): ClassifiedError {
  const c = /^[\w.:-]{1,60}$/.test(code) ? code : 'unrecognised';
  const said = shortDetail(message);
  const text = `${vendor} error ${c}${said ? `: ${said}` : ''}`;
  const opts = { code: `${vendor}:${c}` };
  if (Object.hasOwn(retryable, c)) {
    const wait = retryable[c];
    return new RetryableError(text, { ...opts, ...(wait != null ? { retryAfterMs: Math.min(wait, retryAfterMax()) } : {}) });
  }
  return new PermanentError(text, opts);
}

/** A reply that carries no vendor code: its HTTP status decides; a 200 without a result retries. */
function replyError(vendor: string, reply: HttpReply, now: number): ClassifiedError {
  if (reply.status >= 200 && reply.status < 300) {
    const said = shortDetail(reply.text);
    return new RetryableError(`${vendor}: unexpected reply${said ? `: ${said}` : ''}`, { code: `${vendor}:invalid-reply` });
  }
  return classifyHttpError({ status: reply.status, headers: reply.headers, detail: excerpt(reply.text) }, vendor, now);
}

// ---- Aliyun --------------------------------------------------------------------------------

/** Retried later: per-number flow control (a minute), throttling and the provider's own failures. */
const ALIYUN_RETRYABLE: Record<string, number | null> = {
  'isv.BUSINESS_LIMIT_CONTROL': 60_000,
  'isv.DAY_LIMIT_CONTROL': 3_600_000,
  'isp.SYSTEM_ERROR': null,
  'isp.GATEWAY_ERROR': null,
  Throttling: null,
  'Throttling.User': null,
  'Throttling.Api': null,
  ServiceUnavailable: null,
  InternalError: null,
};

export async function aliyunSendSms(p: AliyunSmsProvider, numbers: readonly string[], text: string, ctx: CallContext): Promise<Map<string, NumberResult>> {
  const params: Record<string, string> = {
    AccessKeyId: p.accessKeyId,
    Action: 'SendSms',
    Format: 'JSON',
    PhoneNumbers: numbers.join(','),
    RegionId: 'cn-hangzhou',
    SignName: p.signName,
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: ctx.nonce(),
    SignatureVersion: '1.0',
    TemplateCode: p.templateCode,
    TemplateParam: JSON.stringify({ code: text }),
    Timestamp: `${new Date(ctx.now()).toISOString().slice(0, 19)}Z`,
    Version: '2017-05-25',
  };
  const body = canonicalQuery({ ...params, Signature: aliyunRpcSignature('POST', params, p.accessKeySecret) });
  const reply = await post(ctx, ctx.urls.aliyun, body, { 'Content-Type': 'application/x-www-form-urlencoded' }, 'aliyun');
  const res = reply.json as { Code?: unknown; Message?: unknown; BizId?: unknown } | undefined;
  if (typeof res?.Code !== 'string') return all(numbers, { ok: false, error: replyError('aliyun', reply, ctx.now()) });
  if (res.Code === 'OK') return all(numbers, { ok: true, ...(typeof res.BizId === 'string' ? { id: res.BizId } : {}) });
  return all(numbers, { ok: false, error: vendorError('aliyun', res.Code, typeof res.Message === 'string' ? res.Message : '', ALIYUN_RETRYABLE) });
}

// ---- Tencent -------------------------------------------------------------------------------

const TENCENT_RETRYABLE: Record<string, number | null> = {
  RequestLimitExceeded: 1000,
  'RequestLimitExceeded.GlobalRegionUinLimitExceeded': 1000,
  'RequestLimitExceeded.UinLimitExceeded': 1000,
  'LimitExceeded.PhoneNumberThirtySecondLimit': 30_000,
  'LimitExceeded.PhoneNumberOneHourLimit': 3_600_000,
  'LimitExceeded.PhoneNumberDailyLimit': 3_600_000,
  'LimitExceeded.PhoneNumberSameContentDailyLimit': 3_600_000,
  'LimitExceeded.DailyLimit': 3_600_000,
  'LimitExceeded.DeliveryFrequencyLimit': 60_000,
  InternalError: null,
  'InternalError.Timeout': null,
  'InternalError.RequestTimeException': null,
  'InternalError.SendAndRecvFail': null,
  'InternalError.OtherError': null,
  ServiceUnavailable: null,
};

/** The status entry of a number: the same text, or the number Tencent wrote in E.164 for it. */
function tencentStatusOf<T extends { PhoneNumber?: unknown }>(set: readonly T[], n: string): T | undefined {
  return set.find((s) => s.PhoneNumber === n) ?? (n.startsWith('+') ? undefined : set.find((s) => s.PhoneNumber === `+86${n}`));
}

export async function tencentSendSms(p: TencentSmsProvider, numbers: readonly string[], text: string, ctx: CallContext): Promise<Map<string, NumberResult>> {
  const url = new URL(ctx.urls.tencent);
  const payload = JSON.stringify({
    PhoneNumberSet: numbers,
    SmsSdkAppId: p.smsSdkAppId,
    SignName: p.sign,
    TemplateId: p.templateId,
    TemplateParamSet: [text],
  });
  const timestampSec = Math.floor(ctx.now() / 1000);
  const contentType = 'application/json; charset=utf-8';
  const { authorization } = tc3Authorization({ secretId: p.secretId, secretKey: p.secretKey, service: 'sms', host: url.host, timestampSec, payload, contentType });
  const reply = await post(
    ctx,
    url.toString(),
    payload,
    {
      Authorization: authorization,
      'Content-Type': contentType,
      'X-TC-Action': 'SendSms',
      'X-TC-Version': '2021-01-11',
      'X-TC-Timestamp': String(timestampSec),
      'X-TC-Region': p.region ?? 'ap-guangzhou',
    },
    'tencent',
  );
  const res = (reply.json as { Response?: { Error?: { Code?: unknown; Message?: unknown }; SendStatusSet?: unknown } } | undefined)?.Response;
  if (typeof res?.Error?.Code === 'string') {
    return all(numbers, { ok: false, error: vendorError('tencent', res.Error.Code, typeof res.Error.Message === 'string' ? res.Error.Message : '', TENCENT_RETRYABLE) });
  }
  if (!Array.isArray(res?.SendStatusSet)) return all(numbers, { ok: false, error: replyError('tencent', reply, ctx.now()) });
  const set = res.SendStatusSet as { PhoneNumber?: unknown; Code?: unknown; Message?: unknown; SerialNo?: unknown }[];
  return new Map(
    numbers.map((n): [string, NumberResult] => {
      const s = tencentStatusOf(set, n);
      if (!s) return [n, { ok: false, error: new RetryableError(`tencent: no SendStatus for ${n}`, { code: 'tencent:no-status' }) }];
      const code = typeof s.Code === 'string' ? s.Code : '';
      if (code.toLowerCase() === 'ok') return [n, { ok: true, ...(typeof s.SerialNo === 'string' ? { id: s.SerialNo } : {}) }];
      return [n, { ok: false, error: vendorError('tencent', code || 'unknown', typeof s.Message === 'string' ? s.Message : '', TENCENT_RETRYABLE) }];
    }),
  );
}

// ---- Huawei --------------------------------------------------------------------------------

const HUAWEI_PARAM_KEYS = ['alertname', 'severity', 'message', 'summary', 'alerttype', 'cluster', 'node', 'namespace', 'workload', 'pod'] as const;
const WORKLOAD_KEYS = new Set(['workload', 'deployment', 'statefulset', 'daemonset']);

/**
 * Huawei templates take positional `${TEXT}` parameters: the values of the `key = value` lines of
 * the text for alertname, severity, message, summary, alerttype, cluster, node, namespace,
 * workload (deployment / statefulset / daemonset) and pod, each at most 20 characters; without any
 * such line, the first 20 characters of the text are the one parameter.
 */
export function huaweiTemplateParas(text: string): string[] {
  const found = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const slot = WORKLOAD_KEYS.has(key) ? 'workload' : key;
    if ((HUAWEI_PARAM_KEYS as readonly string[]).includes(slot) && !found.has(slot)) found.set(slot, m[2]!);
  }
  const cut = (s: string): string => [...s].slice(0, 20).join('');
  if (found.size === 0) return [cut(text)];
  return HUAWEI_PARAM_KEYS.map((k) => cut(found.get(k) ?? ''));
}

/** Mainland numbers written without a country code get `+86`; numbers with `+` stay as they are. */
export const huaweiNumber = (n: string): string => (n.startsWith('+') ? n : `+86${n}`);

/** Huawei's flow-control code; HTTP 429 and 5xx are retried by their status. */
const HUAWEI_RETRYABLE: Record<string, number | null> = { E000503: null };

export async function huaweiBatchSendSms(p: HuaweiSmsProvider, numbers: readonly string[], text: string, ctx: CallContext): Promise<Map<string, NumberResult>> {
  const created = huaweiCreated(ctx.now());
  const nonce = ctx.nonce().replace(/-/g, '');
  const form: Record<string, string> = {
    from: p.sender,
    to: numbers.map(huaweiNumber).join(','),
    templateId: p.templateId,
    templateParas: JSON.stringify(huaweiTemplateParas(text)),
    statusCallback: '',
    ...(p.signature ? { signature: p.signature } : {}),
  };
  const body = new URLSearchParams(form).toString();
  const reply = await post(
    ctx,
    p.url ?? DEFAULT_HUAWEI_SMS_URL,
    body,
    { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: HUAWEI_WSSE_AUTHORIZATION, 'X-WSSE': huaweiWsseHeader(p.appKey, p.appSecret, nonce, created) },
    'huawei',
  );
  const res = reply.json as { code?: unknown; description?: unknown; result?: unknown } | undefined;
  if (typeof res?.code !== 'string') return all(numbers, { ok: false, error: replyError('huawei', reply, ctx.now()) });
  const results = Array.isArray(res.result) ? (res.result as { originTo?: unknown; status?: unknown; smsMsgId?: unknown }[]) : [];
  if (results.length === 0) {
    if (res.code === '000000') return all(numbers, { ok: true });
    const e = vendorError('huawei', res.code, typeof res.description === 'string' ? res.description : '', HUAWEI_RETRYABLE);
    return all(numbers, { ok: false, error: reply.status === 429 || reply.status >= 500 ? replyError('huawei', reply, ctx.now()) : e });
  }
  return new Map(
    numbers.map((n): [string, NumberResult] => {
      const r = results.find((x) => x.originTo === huaweiNumber(n) || x.originTo === n);
      if (!r) return [n, { ok: false, error: new RetryableError(`huawei: no status for ${n}`, { code: 'huawei:no-status' }) }];
      const status = typeof r.status === 'string' ? r.status : '';
      if (status === '000000') return [n, { ok: true, ...(typeof r.smsMsgId === 'string' ? { id: r.smsMsgId } : {}) }];
      return [n, { ok: false, error: vendorError('huawei', status || 'unknown', `number ${n}`, HUAWEI_RETRYABLE) }];
    }),
  );
}

// ---- AWS SNS -------------------------------------------------------------------------------

const AWS_RETRYABLE: Record<string, number | null> = {
  Throttling: null,
  ThrottlingException: null,
  ThrottledException: null,
  RequestThrottled: null,
  TooManyRequestsException: null,
  InternalError: null,
  InternalFailure: null,
  ServiceUnavailable: null,
  KMSThrottling: null,
};

const xmlValue = (xml: string, tag: string): string | undefined => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];

/** The SNS endpoint of a region: `{region}` of the base URL replaced. */
export const awsSnsUrl = (base: string, region: string): string => base.replace('{region}', encodeURIComponent(region));

export async function awsPublish(p: AwsSmsProvider, number: string, text: string, ctx: CallContext): Promise<NumberResult> {
  const url = new URL(awsSnsUrl(ctx.urls.aws, p.region));
  const body = canonicalQuery({ Action: 'Publish', Message: text, PhoneNumber: number, Version: '2010-03-31' });
  const date = amzDate(ctx.now());
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', Host: url.host, 'X-Amz-Date': date };
  const { authorization } = sigV4Authorization({
    method: 'POST',
    url,
    headers,
    body,
    region: p.region,
    service: 'sns',
    accessKeyId: p.accessKeyId,
    secretAccessKey: p.secretAccessKey,
    amzDate: date,
  });
  const { Host: _host, ...sent } = headers;
  const reply = await post(ctx, url.toString(), body, { ...sent, Authorization: authorization }, 'aws');
  const code = xmlValue(reply.text, 'Code');
  if (reply.status === 200) {
    const id = xmlValue(reply.text, 'MessageId');
    return id !== undefined ? { ok: true, id } : { ok: false, error: replyError('aws', { ...reply, status: 200 }, ctx.now()) };
  }
  if (code === undefined || reply.status >= 500 || reply.status === 429) {
    const e = code !== undefined && Object.hasOwn(AWS_RETRYABLE, code) ? vendorError('aws', code, xmlValue(reply.text, 'Message') ?? '', AWS_RETRYABLE) : undefined;
    return { ok: false, error: e ?? replyError('aws', reply, ctx.now()) };
  }
  return { ok: false, error: vendorError('aws', code, xmlValue(reply.text, 'Message') ?? '', AWS_RETRYABLE) };
}

/** A fresh nonce per request. */
export const randomNonce = (): string => randomUUID();
