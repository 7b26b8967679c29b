/**
 * The SMS providers: Aliyun Dysmsapi `SendSms` (RPC signature), Tencent Cloud `SendSms`
 * (TC3-HMAC-SHA256), Huawei `batchSendSms` (WSSE) and AWS SNS `Publish` (SigV4). Each route
 * checks the signature against the configured keys, the request's age, the batch size and the
 * numbers, and answers in the provider's shape: numbers listed in `failNumbers` are rejected
 * (per number where the provider reports per number), and a per-number rate window answers the
 * provider's flow-control error.
 */
import { randomBytes } from 'node:crypto';
import type { SmsProviderFake } from './fake.types.js';
import { exactPath, json, randomId, type FakeState, type Reply, type RouteDef } from './fake.state.js';
import {
  aliyunExpectedSignature,
  parseAuthorization,
  parseWsse,
  signatureMatches,
  sigV4ExpectedSignature,
  tc3ExpectedSignature,
  wsseExpectedDigest,
} from './sms.verify.js';

const MAX_SKEW_MS = 15 * 60_000;
const requestId = (): string => randomBytes(16).toString('hex');

const keyOf = (cfg: SmsProviderFake | undefined, id: string | undefined | null): string | undefined =>
  id && cfg?.keys && Object.hasOwn(cfg.keys, id) ? cfg.keys[id] : undefined;

const limited = (state: FakeState, provider: string, cfg: SmsProviderFake | undefined, n: string): boolean =>
  !state.allow(`sms:${provider}:${n}`, cfg?.numberRateLimit);

// ---- Aliyun --------------------------------------------------------------------------------

const aliyunError = (status: number, code: string, message: string): Reply => json({ RequestId: requestId(), Code: code, Message: message }, status);

const aliyun: RouteDef = {
  name: 'aliyun.sendSms',
  vendor: 'aliyun',
  method: 'POST',
  match: exactPath('/aliyun'),
  handle(req, state) {
    const cfg = state.opts.aliyun;
    const params = new URLSearchParams(req.rawBody);
    for (const [k, v] of Object.entries(req.query)) params.append(k, v);
    const secret = keyOf(cfg, params.get('AccessKeyId'));
    if (secret === undefined) return aliyunError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    if (params.get('SignatureMethod') !== 'HMAC-SHA1' || params.get('SignatureVersion') !== '1.0') {
      return aliyunError(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
    }
    const signature = params.get('Signature') ?? '';
    if (!signatureMatches(signature, aliyunExpectedSignature(req.method, params, secret))) {
      return aliyunError(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.');
    }
    const at = Date.parse(params.get('Timestamp') ?? '');
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(params.get('Timestamp') ?? '') || Math.abs(state.now() - at) > MAX_SKEW_MS) {
      return aliyunError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    }
    const nonce = params.get('SignatureNonce') ?? '';
    if (!nonce || !state.allow(`aliyun-nonce:${nonce}`, { limit: 1, windowMs: MAX_SKEW_MS * 2 })) {
      return aliyunError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    }
    if (params.get('Action') !== 'SendSms' || params.get('Version') !== '2017-05-25') return aliyunError(400, 'InvalidAction.NotFound', 'Specified api is not found.');
    if (!params.get('SignName') || !params.get('TemplateCode')) return aliyunError(200, 'isv.SMS_SIGNATURE_ILLEGAL', 'sign name or template code missing');
    try {
      JSON.parse(params.get('TemplateParam') ?? '{}');
    } catch {
      return aliyunError(200, 'isv.INVALID_JSON_PARAM', 'TemplateParam is not valid JSON');
    }
    const numbers = (params.get('PhoneNumbers') ?? '').split(',').filter((n) => n !== '');
    if (numbers.length === 0) return aliyunError(200, 'isv.MOBILE_NUMBER_ILLEGAL', 'no phone number');
    if (numbers.length > 1000) return aliyunError(200, 'isv.MOBILE_COUNT_OVER_LIMIT', 'more than 1000 numbers');
    const bad = numbers.find((n) => cfg?.failNumbers?.includes(n) || !/^\+?\d+$/.test(n));
    if (bad) return aliyunError(200, 'isv.MOBILE_NUMBER_ILLEGAL', `illegal number ${bad}`);
    if (numbers.some((n) => limited(state, 'aliyun', cfg, n))) return aliyunError(200, 'isv.BUSINESS_LIMIT_CONTROL', 'flow control for a number');
    return json({ RequestId: requestId(), Code: 'OK', Message: 'OK', BizId: randomId('biz-') });
  },
  errorReply: (code, msg) => aliyunError(200, String(code), msg ?? 'scripted'),
  rateLimitReply: (sec) => ({ status: 429, headers: { 'retry-after': String(sec) }, body: { RequestId: requestId(), Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' } }),
};

// ---- Tencent -------------------------------------------------------------------------------

const tencentError = (code: string, message: string, status = 200): Reply => json({ Response: { Error: { Code: code, Message: message }, RequestId: requestId() } }, status);

const tencent: RouteDef = {
  name: 'tencent.sendSms',
  vendor: 'tencent',
  method: 'POST',
  match: exactPath('/tencent'),
  handle(req, state) {
    const cfg = state.opts.tencent;
    const auth = parseAuthorization(req.headers.authorization, 'TC3-HMAC-SHA256');
    if (!auth || auth.credential.length !== 4 || auth.credential[3] !== 'tc3_request') return tencentError('AuthFailure.InvalidAuthorization', 'Authorization is malformed');
    const secret = keyOf(cfg, auth.credential[0]);
    if (secret === undefined) return tencentError('AuthFailure.SecretIdNotFound', 'The SecretId is not found');
    if (!auth.signedHeaders.includes('content-type') || !auth.signedHeaders.includes('host')) return tencentError('AuthFailure.InvalidAuthorization', 'content-type and host must be signed');
    const ts = Number(req.headers['x-tc-timestamp']);
    if (!Number.isInteger(ts) || Math.abs(state.now() - ts * 1000) > 5 * 60_000) return tencentError('AuthFailure.SignatureExpire', 'Signature expired');
    if (auth.credential[1] !== new Date(ts * 1000).toISOString().slice(0, 10)) return tencentError('AuthFailure.SignatureFailure', 'The credential date is not the timestamp date');
    if (!signatureMatches(auth.signature, tc3ExpectedSignature(auth, req.headers, req.rawBody, secret))) {
      return tencentError('AuthFailure.SignatureFailure', 'The provided credentials could not be validated.');
    }
    if (req.headers['x-tc-action'] !== 'SendSms') return tencentError('InvalidAction', `action ${req.headers['x-tc-action'] ?? ''} not found`);
    const body = (req.body ?? {}) as { PhoneNumberSet?: unknown; SmsSdkAppId?: unknown; TemplateId?: unknown; SignName?: unknown; TemplateParamSet?: unknown };
    if (!Array.isArray(body.PhoneNumberSet) || body.PhoneNumberSet.length === 0) return tencentError('MissingParameter', 'PhoneNumberSet is required');
    if (body.PhoneNumberSet.length > 200) return tencentError('LimitExceeded.PhoneNumberCountLimit', 'at most 200 numbers per request');
    if (typeof body.SmsSdkAppId !== 'string' || typeof body.TemplateId !== 'string') return tencentError('MissingParameter', 'SmsSdkAppId and TemplateId are required');
    if (!Array.isArray(body.TemplateParamSet)) return tencentError('InvalidParameterValue.TemplateParameterFormatError', 'TemplateParamSet must be a list');
    const SendStatusSet = (body.PhoneNumberSet as unknown[]).map((raw) => {
      const n = String(raw);
      const e164 = n.startsWith('+') ? n : `+86${n}`;
      const base = { SerialNo: randomId('serial-'), PhoneNumber: e164, Fee: 1, SessionContext: '', IsoCode: e164.startsWith('+86') ? 'CN' : 'XX' };
      if (cfg?.failNumbers?.includes(n) || !/^\+?\d+$/.test(n)) return { ...base, Fee: 0, Code: 'InvalidParameterValue.IncorrectPhoneNumber', Message: 'incorrect number' };
      if (limited(state, 'tencent', cfg, n)) return { ...base, Fee: 0, Code: 'LimitExceeded.PhoneNumberThirtySecondLimit', Message: 'thirty second limit' };
      return { ...base, Code: 'Ok', Message: 'send success' };
    });
    return json({ Response: { SendStatusSet, RequestId: requestId() } });
  },
  errorReply: (code, msg) => tencentError(String(code), msg ?? 'scripted'),
  rateLimitReply: (sec) => ({ ...tencentError('RequestLimitExceeded', 'request rate limit'), headers: { 'retry-after': String(sec) } }),
};

// ---- Huawei --------------------------------------------------------------------------------

const huaweiError = (code: string, description: string, status = 400): Reply => json({ code, description }, status);

const huawei: RouteDef = {
  name: 'huawei.batchSendSms',
  vendor: 'huawei',
  method: 'POST',
  match: exactPath('/huawei/sms/batchSendSms/v1'),
  handle(req, state) {
    const cfg = state.opts.huawei;
    if (req.headers.authorization !== 'WSSE realm="SDP",profile="UsernameToken",type="Appkey"') return huaweiError('E000004', 'Authorization header is not WSSE', 401);
    const wsse = parseWsse(req.headers['x-wsse']);
    const secret = keyOf(cfg, wsse?.Username);
    if (!wsse || secret === undefined) return huaweiError('E000002', 'unknown app key', 401);
    const created = wsse.Created ?? '';
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(created) || Math.abs(state.now() - Date.parse(created)) > 24 * 3_600_000) {
      return huaweiError('E000006', 'Created is not a UTC time within 24 hours', 401);
    }
    if (!wsse.Nonce || !signatureMatches(wsse.PasswordDigest ?? '', wsseExpectedDigest(wsse.Nonce, created, secret))) {
      return huaweiError('E000003', 'PasswordDigest does not match', 401);
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return huaweiError('E000101', 'content type must be form-urlencoded');
    const form = new URLSearchParams(req.rawBody);
    const to = (form.get('to') ?? '').split(',').filter((n) => n !== '');
    if (!form.get('from') || !form.get('templateId')) return huaweiError('E000101', 'from and templateId are required');
    if (to.length === 0 || to.length > 500) return huaweiError('E000510', 'to needs 1 to 500 numbers');
    if (to.some((n) => /[^\d+]/.test(n))) return huaweiError('E000510', 'to holds characters other than digits and +');
    let paras: unknown;
    try {
      paras = JSON.parse(form.get('templateParas') ?? '[]');
    } catch {
      return huaweiError('E000101', 'templateParas is not a JSON list');
    }
    if (!Array.isArray(paras) || paras.some((p) => typeof p !== 'string' || [...p].length > 20)) return huaweiError('E000101', 'templateParas must be strings of at most 20 characters');
    const createTime = new Date(state.now()).toISOString();
    const result = to.map((n) => {
      const base = { originTo: n, createTime, from: form.get('from'), smsMsgId: randomId('msg-') };
      if (!n.startsWith('+') || cfg?.failNumbers?.includes(n)) return { ...base, status: 'E200028' };
      if (limited(state, 'huawei', cfg, n)) return { ...base, status: 'E200041' };
      return { ...base, status: '000000' };
    });
    const ok = result.every((r) => r.status === '000000');
    return json(ok ? { code: '000000', description: 'Success', result } : { code: 'E000510', description: 'The SMS fails to be sent. For details, see status.', result });
  },
  errorReply: (code, msg) => huaweiError(String(code), msg ?? 'scripted'),
  rateLimitReply: (sec) => ({ status: 429, headers: { 'retry-after': String(sec) }, body: { code: 'E000503', description: 'flow control' } }),
};

// ---- AWS SNS -------------------------------------------------------------------------------

const awsError = (status: number, code: string, message: string, type = 'Sender'): Reply => ({
  status,
  headers: { 'content-type': 'text/xml' },
  body: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
});

const aws: RouteDef = {
  name: 'aws.publish',
  vendor: 'aws',
  method: 'POST',
  match: exactPath('/aws'),
  handle(req, state) {
    const cfg = state.opts.aws;
    const auth = parseAuthorization(req.headers.authorization, 'AWS4-HMAC-SHA256');
    if (!auth || auth.credential.length !== 5 || auth.credential[3] !== 'sns' || auth.credential[4] !== 'aws4_request') {
      return awsError(400, 'IncompleteSignature', 'Authorization header is malformed or not for sns');
    }
    const secret = keyOf(cfg, auth.credential[0]);
    if (secret === undefined) return awsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    const date = req.headers['x-amz-date'] ?? '';
    const at = Date.parse(date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
    if (Number.isNaN(at) || Math.abs(state.now() - at) > MAX_SKEW_MS || auth.credential[1] !== date.slice(0, 8)) {
      return awsError(403, 'SignatureDoesNotMatch', 'Signature expired or dated wrongly');
    }
    if (!auth.signedHeaders.includes('host') || !auth.signedHeaders.includes('x-amz-date')) return awsError(403, 'SignatureDoesNotMatch', 'host and x-amz-date must be signed');
    if (!signatureMatches(auth.signature, sigV4ExpectedSignature(auth, req, secret))) {
      return awsError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    const form = new URLSearchParams(req.rawBody);
    if (form.get('Action') !== 'Publish') return awsError(400, 'InvalidAction', 'only Publish is faked');
    const number = form.get('PhoneNumber') ?? '';
    if (!form.get('Message')) return awsError(400, 'InvalidParameter', 'Invalid parameter: Message');
    if (!/^\+\d{1,15}$/.test(number) || cfg?.failNumbers?.includes(number)) return awsError(400, 'InvalidParameter', 'Invalid parameter: PhoneNumber Reason: not an E.164 number');
    if (limited(state, 'aws', cfg, number)) return awsError(400, 'Throttling', 'Rate exceeded');
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomId('')}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></PublishResponse>`,
    };
  },
  errorReply: (code, msg) => awsError(typeof code === 'number' ? code : 400, typeof code === 'number' ? 'InternalError' : code, msg ?? 'scripted', 'Sender'),
  rateLimitReply: (sec) => ({ ...awsError(400, 'Throttling', 'Rate exceeded'), headers: { 'content-type': 'text/xml', 'retry-after': String(sec) } }),
};

export const smsRoutes: RouteDef[] = [aliyun, tencent, huawei, aws];
